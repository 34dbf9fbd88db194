package brain.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Completes a SQLite JDBC URL: creates the file's folder, and adds the pragmas we rely on
 * (sqlite-jdbc applies URL parameters to every connection it opens) unless the URL sets them.
 * Other JDBC URLs pass through unchanged.
 */
public final class DatabaseUrl {
  private static final String SQLITE = "jdbc:sqlite:";
  private static final Map<String, String> PRAGMAS = new LinkedHashMap<>();

  static {
    PRAGMAS.put("journal_mode", "WAL"); // readers run beside the writer; survives kill -9
    PRAGMAS.put("synchronous", "NORMAL"); // with WAL: durable across process crashes
    PRAGMAS.put("busy_timeout", "10000"); // another process holding the file: wait, don't fail
    PRAGMAS.put("foreign_keys", "true");
  }

  private DatabaseUrl() {}

  public static String prepare(String url) {
    if (!url.startsWith(SQLITE)) {
      return url;
    }
    String rest = url.substring(SQLITE.length());
    int query = rest.indexOf('?');
    String file = query < 0 ? rest : rest.substring(0, query);
    String params = query < 0 ? "" : rest.substring(query + 1);
    if (!file.isEmpty() && !file.equals(":memory:") && !file.startsWith("file:")) {
      Path parent = Path.of(file).toAbsolutePath().getParent();
      try {
        Files.createDirectories(parent);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the database folder " + parent, e);
      }
    }
    StringBuilder out = new StringBuilder(SQLITE).append(file).append('?').append(params);
    for (Map.Entry<String, String> pragma : PRAGMAS.entrySet()) {
      if (!params.contains(pragma.getKey() + "=")) {
        if (out.charAt(out.length() - 1) != '?') {
          out.append('&');
        }
        out.append(pragma.getKey()).append('=').append(pragma.getValue());
      }
    }
    return out.toString();
  }
}
