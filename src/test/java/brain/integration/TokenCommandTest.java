package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.Main;
import brain.testing.TestGrid;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code token create | list | revoke | admin} on a real SQLite file: run in the process (picocli,
 * output captured) and as the real {@code java brain.Main} process; on a folder with no database
 * yet, and beside a running server holding the same file, whose API then accepts and refuses
 * the tokens the command makes and revokes.
 */
@Timeout(180)
class TokenCommandTest {
  /** What {@code brain.auth.Tokens.newToken()} makes: "brain_" and 256 bits of base64url. */
  private static final Pattern TOKEN = Pattern.compile("brain_[A-Za-z0-9_-]{43}");

  @TempDir
  Path dir;

  record Result(int code, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }

    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /** {@code token ARGS --db URL}, in this process, as Main runs it. */
  private static Result token(String url, String... args) {
    List<String> all = new ArrayList<>(List.of("token"));
    all.addAll(List.of(args));
    all.addAll(List.of("--db", url));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(all.toArray(String[]::new));
    return new Result(code, out.toString(), err.toString());
  }

  private static String url(Path db) {
    return "jdbc:sqlite:" + db;
  }

  /** SHA-256 in hex, computed here rather than by the code under test. */
  private static String sha256(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String created(Result result) {
    assertEquals(0, result.code(), result.toString());
    List<String> lines = result.outLines();
    assertEquals(1, lines.size(), "stdout is the token alone: " + result);
    assertTrue(TOKEN.matcher(lines.get(0)).matches(), "a token of the right form: " + lines.get(0));
    return lines.get(0);
  }

  /** name → {role, token_hash, created_at, last_used_at}, read with plain JDBC. */
  private static Map<String, Map<String, String>> rows(Path db) throws SQLException {
    Map<String, Map<String, String>> rows = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(url(db));
         ResultSet rs = c.createStatement().executeQuery("SELECT * FROM tokens")) {
      while (rs.next()) {
        Map<String, String> row = new TreeMap<>();
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
          row.put(rs.getMetaData().getColumnName(i), rs.getString(i));
        }
        rows.put(row.get("name"), row);
      }
    }
    return rows;
  }

  /** Every table, index and column definition, and the schema version: what the migrations made. */
  private static Map<String, String> schema(Path db) throws SQLException {
    Map<String, String> schema = new TreeMap<>();
    try (Connection c = DriverManager.getConnection(url(db));
         ResultSet rs = c.createStatement().executeQuery("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
         ResultSet version = c.createStatement().executeQuery("SELECT MAX(version) FROM schema_version")) {
      while (rs.next()) {
        schema.put(rs.getString(1) + " " + rs.getString(2), rs.getString(3));
      }
      assertTrue(version.next());
      schema.put("schema_version", version.getString(1));
    }
    return schema;
  }

  private static void assertNowhereOnDisk(Path folder, String secret) throws Exception {
    byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        assertFalse(bytes.contains(new String(needle, StandardCharsets.ISO_8859_1)), "the token is written in " + file);
      }
    }
  }

  @Test
  @DisplayName("create on a folder with no database: prints the token once, stores only its SHA-256")
  void createStoresOnlyTheHash() throws Exception {
    Path db = dir.resolve("not/yet/brain.db");
    Instant before = Instant.now().minusSeconds(1);
    Result result = token(url(db), "create", "alice");
    String token = created(result);
    assertTrue(result.err().contains("token for alice (requestor)"), result.toString());
    assertTrue(result.err().contains("will not be shown again"), result.toString());
    assertFalse(result.err().contains(token), "the hint does not repeat the token");

    Map<String, Map<String, String>> rows = rows(db);
    assertEquals(List.of("alice"), List.copyOf(rows.keySet()));
    Map<String, String> alice = rows.get("alice");
    assertEquals("requestor", alice.get("role"), "requestor by default");
    assertEquals(sha256(token), alice.get("token_hash"), "the row holds SHA-256(token)");
    assertFalse(alice.containsValue(token), "and never the token");
    Instant createdAt = Instant.parse(alice.get("created_at"));
    assertTrue(!createdAt.isBefore(before) && !createdAt.isAfter(Instant.now()), "created now, ISO-8601 UTC: " + createdAt);
    assertTrue(alice.get("created_at").endsWith("Z"));
    assertNull(alice.get("last_used_at"), "never used yet");
    assertNowhereOnDisk(db.getParent(), token);

    String admin = created(token(url(db), "create", "ops.team-1_x", "--role", "admin"));
    assertEquals("admin", rows(db).get("ops.team-1_x").get("role"));
    assertEquals(sha256(admin), rows(db).get("ops.team-1_x").get("token_hash"));
    assertNotEquals(token, admin, "every token is new");
  }

  @Test
  @DisplayName("a database made by the command has exactly the server's schema, and the server starts on it")
  void freshDatabaseGetsTheServersSchema() throws Exception {
    Path cliDir = Files.createDirectories(dir.resolve("cli"));
    Result empty = token(url(cliDir.resolve("brain.db")), "list");
    assertEquals(0, empty.code(), empty.toString());
    assertEquals("", empty.out(), "no table without tokens");
    assertTrue(empty.err().contains("no tokens"), empty.toString());
    String alice = created(token(url(cliDir.resolve("brain.db")), "create", "alice"));

    Path serverDir = Files.createDirectories(dir.resolve("server"));
    TestGrid.start(serverDir, Map.of()).close();
    Map<String, String> servers = schema(serverDir.resolve("brain.db"));
    assertTrue(servers.containsKey("table tokens"), servers.keySet().toString());
    assertEquals(servers, schema(cliDir.resolve("brain.db")), "the same migrations ran");

    try (TestGrid grid = TestGrid.start(cliDir, Map.of())) {
      assertEquals(200, get(grid, "/api/jobs", alice).statusCode(), "the server takes the database and its token");
    }
  }

  @Test
  @DisplayName("list: a table of names, roles, created, last used; never a token or a hash")
  void listShowsNamesNotTokens() throws Exception {
    Path db = dir.resolve("brain.db");
    String alice = created(token(url(db), "create", "alice"));
    String ops = created(token(url(db), "create", "ops", "--role", "admin"));
    try (Connection c = DriverManager.getConnection(url(db));
         PreparedStatement used = c.prepareStatement("UPDATE tokens SET last_used_at = ? WHERE name = 'ops'")) {
      used.setString(1, "2026-01-02T03:04:05.678Z");
      assertEquals(1, used.executeUpdate());
    }

    Result list = token(url(db), "list");
    assertEquals(0, list.code(), list.toString());
    List<String> lines = list.outLines();
    assertEquals(3, lines.size(), list.toString());
    assertTrue(lines.get(0).matches("NAME\\s+ROLE\\s+CREATED\\s+LAST USED"), lines.get(0));
    String[] aliceRow = lines.get(1).split("\\s+");
    assertEquals("alice", aliceRow[0]);
    assertEquals("requestor", aliceRow[1]);
    assertEquals(rows(db).get("alice").get("created_at"), aliceRow[2]);
    assertEquals("never", aliceRow[3]);
    assertArrayEquals(new String[] {"ops", "admin", rows(db).get("ops").get("created_at"), "2026-01-02T03:04:05.678Z"},
        lines.get(2).split("\\s+"));
    for (String secret : List.of(alice, ops, sha256(alice), sha256(ops), "brain_")) {
      assertFalse(list.out().contains(secret) || list.err().contains(secret), "list shows no token or hash: " + list);
    }
  }

  @Test
  @DisplayName("revoke deletes the row; other tokens stay")
  void revokeRemovesTheRow() throws Exception {
    Path db = dir.resolve("brain.db");
    created(token(url(db), "create", "alice"));
    String bob = created(token(url(db), "create", "bob"));

    Result revoked = token(url(db), "revoke", "alice");
    assertEquals(0, revoked.code(), revoked.toString());
    assertTrue(revoked.out().contains("revoked alice"), revoked.toString());
    assertEquals(List.of("bob"), List.copyOf(rows(db).keySet()));
    assertEquals(sha256(bob), rows(db).get("bob").get("token_hash"));
    Result list = token(url(db), "list");
    assertFalse(list.out().contains("alice"), list.toString());
    assertTrue(list.out().contains("bob"), list.toString());
  }

  @Test
  @DisplayName("an existing name and an unknown name: exit 1 with a message, nothing changed")
  void duplicateAndUnknownNamesFail() throws Exception {
    Path db = dir.resolve("brain.db");
    String first = created(token(url(db), "create", "alice"));

    Result again = token(url(db), "create", "alice", "--role", "admin");
    assertEquals(1, again.code(), again.toString());
    assertEquals("", again.out(), "no token printed");
    assertTrue(again.err().contains("'alice' already exists"), again.toString());
    assertTrue(again.err().contains("token revoke alice"), "suggests revoking first: " + again);
    assertEquals("requestor", rows(db).get("alice").get("role"));
    assertEquals(sha256(first), rows(db).get("alice").get("token_hash"), "the first token still stands");

    Result unknown = token(url(db), "revoke", "ghost");
    assertEquals(1, unknown.code(), unknown.toString());
    assertTrue(unknown.err().contains("no token named 'ghost'"), unknown.toString());
    assertEquals(List.of("alice"), List.copyOf(rows(db).keySet()));
  }

  @Test
  @DisplayName("names of 1-40 characters of [A-Za-z0-9_.-] and the two roles only: else a usage error, nothing stored")
  void badNamesAndRolesAreRefused() throws Exception {
    Path db = dir.resolve("brain.db");
    for (String bad : List.of("two words", "a/b", "x".repeat(41), "ünï", "semi;colon")) {
      Result result = token(url(db), "create", bad);
      assertEquals(2, result.code(), bad + ": " + result);
      assertTrue(result.err().contains("NAME must be 1 to 40 characters"), result.toString());
      assertEquals("", result.out());
    }
    Result role = token(url(db), "create", "carol", "--role", "root");
    assertEquals(2, role.code(), role.toString());
    assertTrue(role.err().contains("--role must be admin or requestor"), role.toString());
    assertFalse(Files.exists(db) && !rows(db).isEmpty(), "nothing stored");

    created(token(url(db), "create", "y".repeat(40)));
    created(token(url(db), "create", "Z"));
    assertEquals(2, rows(db).size());
  }

  @Test
  @DisplayName("admin: a new admin token replacing the row named admin, with the dashboard line")
  void adminReplacesTheAdminRow() throws Exception {
    Path db = dir.resolve("brain.db");
    String alice = created(token(url(db), "create", "alice"));

    Result first = token(url(db), "admin", "--port", "4567");
    assertEquals(0, first.code(), first.toString());
    List<String> lines = first.outLines();
    assertEquals(2, lines.size(), first.toString());
    String token = lines.get(0);
    assertTrue(TOKEN.matcher(token).matches(), token);
    assertEquals("dashboard: http://localhost:4567/?token=" + token, lines.get(1));
    assertTrue(first.err().contains("new admin token"), first.toString());
    assertEquals("admin", rows(db).get("admin").get("role"));
    assertEquals(sha256(token), rows(db).get("admin").get("token_hash"));

    Result second = token(url(db), "admin");
    assertEquals(0, second.code(), second.toString());
    String replacement = second.outLines().get(0);
    assertNotEquals(token, replacement);
    assertTrue(second.outLines().get(1).matches("dashboard: http://localhost:\\d+/\\?token=" + Pattern.quote(replacement)),
        second.toString());
    Map<String, Map<String, String>> rows = rows(db);
    assertEquals(List.of("admin", "alice"), List.copyOf(rows.keySet()), "one admin row, replaced");
    assertEquals(sha256(replacement), rows.get("admin").get("token_hash"), "the previous admin token is gone");
    assertEquals(sha256(alice), rows.get("alice").get("token_hash"), "other tokens untouched");
  }

  @Test
  @DisplayName("on PostgreSQL: create on a new database (migrating it), list, revoke")
  void onPostgres() throws Exception {
    String db = brain.testing.Postgres.freshDatabaseUrl();
    String alice = created(token(db, "create", "alice"));
    Result list = token(db, "list");
    assertEquals(0, list.code(), list.toString());
    assertTrue(list.out().contains("alice"), list.toString());
    try (Connection c = DriverManager.getConnection(db);
         ResultSet rs = c.createStatement().executeQuery("SELECT token_hash FROM tokens WHERE name = 'alice'")) {
      assertTrue(rs.next());
      assertEquals(sha256(alice), rs.getString(1));
    }
    assertEquals(0, token(db, "revoke", "alice").code());
    try (Connection c = DriverManager.getConnection(db);
         ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM tokens")) {
      rs.next();
      assertEquals(0, rs.getInt(1));
    }
  }

  // ------------------------------------------------------------------ as a process

  private Process java(Path workDir, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "brain.Main"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    for (String name : List.of("BRAIN_DB_URL", "PORT", "BRAIN_HTTP_PORT", "BRAIN_ADMIN_TOKEN")) {
      builder.environment().remove(name);
    }
    builder.environment().putAll(env);
    builder.redirectOutput(workDir.resolve("out.txt").toFile()).redirectError(workDir.resolve("err.txt").toFile());
    return builder.start();
  }

  private Result run(Path workDir, Map<String, String> env, String... args) throws Exception {
    Process process = java(workDir, env, args);
    assertTrue(process.waitFor(90, TimeUnit.SECONDS), "the command ends by itself");
    return new Result(process.exitValue(), Files.readString(workDir.resolve("out.txt")),
        Files.readString(workDir.resolve("err.txt")));
  }

  @Test
  @DisplayName("the real command: BRAIN_DB_URL, BRAIN_HTTP_PORT, data/brain.db by default, exit codes, and the JVM exits")
  void realProcessUsesTheEnvironment() throws Exception {
    Path work = Files.createDirectories(dir.resolve("work"));
    Path db = dir.resolve("env/brain.db");
    Map<String, String> env = Map.of("BRAIN_DB_URL", url(db), "BRAIN_HTTP_PORT", "4242");

    Result admin = run(work, env, "token", "admin");
    assertEquals(0, admin.code(), admin.toString());
    String token = admin.outLines().get(0);
    assertEquals("dashboard: http://localhost:4242/?token=" + token, admin.outLines().get(1), admin.toString());
    assertEquals(sha256(token), rows(db).get("admin").get("token_hash"), "BRAIN_DB_URL names the database");

    String alice = created(run(work, env, "token", "create", "alice"));
    assertEquals(sha256(alice), rows(db).get("alice").get("token_hash"));
    Result again = run(work, env, "token", "create", "alice");
    assertEquals(1, again.code(), again.toString());
    assertTrue(again.err().contains("already exists"), again.toString());
    Result unknown = run(work, env, "token", "revoke", "nobody");
    assertEquals(1, unknown.code(), unknown.toString());
    assertTrue(unknown.err().contains("no token named 'nobody'"), unknown.toString());

    Result byDefault = run(work, Map.of(), "token", "create", "carol");
    created(byDefault);
    assertEquals(List.of("carol"), List.copyOf(rows(work.resolve("data/brain.db")).keySet()),
        "without BRAIN_DB_URL or --db: data/brain.db, as the server");
  }

  // ------------------------------------------------------------------ beside a running server

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> get(TestGrid grid, String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(grid.baseUrl() + path)).GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("beside a running server on the same file: its API accepts a created token and refuses it once revoked")
  void worksBesideARunningServer() throws Exception {
    try (TestGrid grid = TestGrid.start(dir, Map.of())) {
      String db = url(dir.resolve("brain.db"));
      assertEquals(401, get(grid, "/api/jobs", null).statusCode(), "the API needs a token");

      String alice = created(token(db, "create", "alice"));
      HttpResponse<String> accepted = get(grid, "/api/jobs", alice);
      assertEquals(200, accepted.statusCode(), accepted.body());

      // The server and the command see the same table.
      JsonArray listed = new JsonObject(get(grid, "/api/tokens", grid.adminToken()).body()).getJsonArray("tokens");
      assertTrue(listed.stream().map(t -> ((JsonObject) t).getString("name")).anyMatch("alice"::equals), listed.encode());
      String bob = grid.createToken("bob", "requestor");
      Result list = token(db, "list");
      assertEquals(0, list.code(), list.toString());
      assertTrue(list.out().lines().anyMatch(line -> line.matches("bob\\s+requestor\\s+.*")), list.toString());
      assertTrue(list.out().lines().anyMatch(line -> line.matches("admin\\s+admin\\s+.*")), list.toString());
      assertFalse(list.out().contains(bob) || list.out().contains(alice));

      Result revoked = token(db, "revoke", "alice");
      assertEquals(0, revoked.code(), revoked.toString());
      HttpResponse<String> refused = get(grid, "/api/jobs", alice);
      assertEquals(401, refused.statusCode(), "revoked: refused at the next request");
      assertTrue(refused.headers().firstValue("www-authenticate").orElse("").startsWith("Bearer"), refused.headers().toString());
      assertTrue(new JsonObject(refused.body()).containsKey("error"), refused.body());
      assertEquals(200, get(grid, "/api/jobs", bob).statusCode(), "others still work");

      // A new admin token from the command: it works, and the one it replaced does not.
      Result admin = token(db, "admin");
      assertEquals(0, admin.code(), admin.toString());
      String newAdmin = admin.outLines().get(0);
      assertEquals(200, get(grid, "/api/tokens", newAdmin).statusCode());
      assertEquals(401, get(grid, "/api/tokens", grid.adminToken()).statusCode(), "the replaced admin token");
    }
  }
}
