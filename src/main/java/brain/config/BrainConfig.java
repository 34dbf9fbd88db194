package brain.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Settings: the defaults in {@code config/brain.json} (packed into the jar), then an optional
 * JSON file merged over them, then the environment variables the design names.
 */
public final class BrainConfig {
  public static final String DEFAULTS_RESOURCE = "config/brain.json";

  private final JsonObject json;

  public BrainConfig(JsonObject json) {
    this.json = json;
  }

  public static BrainConfig load(Map<String, String> env, Path overrides) {
    JsonObject merged = defaults();
    if (overrides != null) {
      try {
        merged.mergeIn(new JsonObject(Files.readString(overrides)), true);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read configuration file " + overrides, e);
      }
    }
    applyEnvironment(merged, env);
    return new BrainConfig(merged);
  }

  public static JsonObject defaults() {
    try (InputStream in = BrainConfig.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void applyEnvironment(JsonObject conf, Map<String, String> env) {
    String port = firstPresent(env, "BRAIN_HTTP_PORT", "PORT");
    if (port != null) {
      try {
        conf.getJsonObject("http").put("port", Integer.parseInt(port.trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port '" + port + "' is not a number");
      }
    }
    String dbUrl = env.get("BRAIN_DB_URL");
    if (dbUrl != null && !dbUrl.isBlank()) {
      conf.getJsonObject("db").put("url", dbUrl.trim());
    }
    String workerKey = env.get("BRAIN_WORKER_KEY");
    if (workerKey != null && !workerKey.isBlank()) {
      conf.getJsonObject("auth").put("workerKey", workerKey.trim());
    }
    // The admin token for automation and tests; without it the first start makes one and prints it.
    String adminToken = env.get("BRAIN_ADMIN_TOKEN");
    if (adminToken != null && !adminToken.isBlank()) {
      conf.getJsonObject("auth").put("adminToken", adminToken.trim());
    }
    // A node's address for workers and other nodes (behind a proxy), and the interface the cluster binds.
    for (String[] key : new String[][] {{"BRAIN_PUBLIC_URL", "publicUrl"}, {"BRAIN_CLUSTER_HOST", "host"}}) {
      String value = env.get(key[0]);
      if (value != null && !value.isBlank()) {
        conf.getJsonObject("cluster").put(key[1], value.trim());
      }
    }
    String origins = env.get("ALLOWED_ORIGINS");
    if (origins != null) {
      JsonArray list = new JsonArray();
      Arrays.stream(origins.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(list::add);
      conf.getJsonObject("http").put("allowedOrigins", list);
    }
  }

  private static String firstPresent(Map<String, String> env, String... names) {
    for (String name : names) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value;
      }
    }
    return null;
  }

  public JsonObject json() {
    return json;
  }

  /** A copy with {@code path} (dotted) set to {@code value}; used by tests and the bench. */
  public BrainConfig with(String path, Object value) {
    JsonObject copy = json.copy();
    String[] parts = path.split("\\.");
    JsonObject node = copy;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject next = node.getJsonObject(parts[i]);
      if (next == null) {
        next = new JsonObject();
        node.put(parts[i], next);
      }
      node = next;
    }
    node.put(parts[parts.length - 1], value);
    return new BrainConfig(copy);
  }

  /** Reads settings by dotted path from a verticle's config; fails loudly when one is missing. */
  public static final class Reader {
    private final JsonObject json;

    public Reader(JsonObject json) {
      this.json = json;
    }

    public int integer(String path) {
      return numberAt(path).intValue();
    }

    public double number(String path) {
      return numberAt(path).doubleValue();
    }

    public long longValue(String path) {
      return numberAt(path).longValue();
    }

    public String string(String path) {
      Object value = value(path);
      if (!(value instanceof String s)) {
        throw new IllegalStateException("setting " + path + " must be a string");
      }
      return s;
    }

    public boolean bool(String path) {
      Object value = value(path);
      if (!(value instanceof Boolean b)) {
        throw new IllegalStateException("setting " + path + " must be true or false");
      }
      return b;
    }

    public JsonObject object(String path) {
      Object value = value(path);
      if (!(value instanceof JsonObject o)) {
        throw new IllegalStateException("setting " + path + " must be an object");
      }
      return o;
    }

    public JsonArray array(String path) {
      Object value = value(path);
      if (!(value instanceof JsonArray a)) {
        throw new IllegalStateException("setting " + path + " must be a list");
      }
      return a;
    }

    private Number numberAt(String path) {
      Object value = value(path);
      if (!(value instanceof Number n)) {
        throw new IllegalStateException("setting " + path + " must be a number");
      }
      return n;
    }

    private Object value(String path) {
      Object node = json;
      for (String part : path.split("\\.")) {
        if (!(node instanceof JsonObject object) || !object.containsKey(part)) {
          throw new IllegalStateException("setting " + path + " is missing");
        }
        node = object.getValue(part);
      }
      return node;
    }
  }
}
