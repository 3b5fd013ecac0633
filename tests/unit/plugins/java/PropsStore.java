// Writes a properties file with java.util.Properties.store, as a Java server
// rewrites its own file: every key and value given as pairs of hex-encoded
// UTF-16 strings on the command line (path, key1, value1, key2, value2, ...).
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.Properties;

public class PropsStore {
    static String unhex(String hex) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 4) {
            out.append((char) Integer.parseInt(hex.substring(i, i + 4), 16));
        }
        return out.toString();
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        for (int i = 1; i + 1 < args.length; i += 2) {
            props.setProperty(unhex(args[i]), unhex(args[i + 1]));
        }
        try (OutputStream out = new FileOutputStream(args[0])) {
            props.store(out, "written by java.util.Properties.store");
        }
    }
}
