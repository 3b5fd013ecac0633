// Reads properties files with java.util.Properties.load (ISO-8859-1 stream)
// and prints one JSON object per file: every key and value, each character
// as a JSON unicode escape so nothing is lost on the way back to Python.
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Properties;
import java.util.TreeSet;

public class PropsDump {
    static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            out.append(String.format("\\u%04x", (int) text.charAt(i)));
        }
        return out.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        for (String path : args) {
            Properties props = new Properties();
            try (InputStream in = new FileInputStream(path)) {
                props.load(in);
            }
            StringBuilder out = new StringBuilder("{");
            for (String key : new TreeSet<>(props.stringPropertyNames())) {
                if (out.length() > 1) {
                    out.append(',');
                }
                out.append(json(key)).append(':').append(json(props.getProperty(key)));
            }
            System.out.println(out.append('}'));
        }
    }
}
