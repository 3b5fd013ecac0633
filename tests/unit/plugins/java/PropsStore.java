// Writes a properties file with java.util.Properties.store, as a Java server
// rewrites its own file: keys sorted, a comment and the date on top. Reads
// one "KEY VALUE" pair per line on standard input, each hex-encoded UTF-16.
//   java PropsStore.java FILE < pairs
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

public class PropsStore {
    static String unhex(String hex) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i + 4 <= hex.length(); i += 4) {
            out.append((char) Integer.parseInt(hex.substring(i, i + 4), 16));
        }
        return out.toString();
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties() {
            @Override
            public Set<Map.Entry<Object, Object>> entrySet() {
                Set<Map.Entry<Object, Object>> sorted = new TreeSet<>(Comparator.comparing(e -> e.getKey().toString()));
                sorted.addAll(super.entrySet());
                return Collections.synchronizedSet(sorted);
            }
        };
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "US-ASCII"));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] pair = line.split(" ", -1);
            props.setProperty(unhex(pair[0]), unhex(pair.length > 1 ? pair[1] : ""));
        }
        try (OutputStream out = new FileOutputStream(args[0])) {
            props.store(out, "PowerFolder configuration");
        }
    }
}
