package brain.integration;

import static org.junit.jupiter.api.Assertions.*;

import brain.config.BrainConfig;
import brain.testing.TestGrid;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The first admin token: made and printed once (as a clickable dashboard link) at a start on a
 * database without an admin, never again; or given by BRAIN_ADMIN_TOKEN (auth.adminToken).
 */
@Timeout(120)
class FirstStartTest {
  /** Runs {@code start} with System.out captured (tests run one at a time in this JVM); answers the grid and what it printed. */
  private static Map.Entry<TestGrid, List<String>> capturing(Supplier<TestGrid> start) {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    TestGrid grid;
    try {
      grid = start.get();
    } finally {
      System.setOut(original);
    }
    List<String> dashboardLines = out.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith("dashboard: ")).toList();
    return Map.entry(grid, dashboardLines);
  }

  @Test
  @DisplayName("a first start prints 'dashboard: http://localhost:<port>/?token=<admin token>' once; the next start prints none")
  void firstStartPrintsTheLineOnce() throws Exception {
    Path dir = Files.createTempDirectory("brain-first");
    // No BRAIN_ADMIN_TOKEN, bound to every address: the line names localhost.
    Map<String, Object> unset = Map.of("auth.adminToken", "", "http.host", "0.0.0.0");
    var first = capturing(() -> TestGrid.start(dir, unset));
    String token;
    try (TestGrid grid = first.getKey()) {
      assertEquals(1, first.getValue().size(), "one line: " + first.getValue());
      String line = first.getValue().get(0);
      String prefix = "dashboard: http://localhost:" + grid.port() + "/?token=";
      assertTrue(line.startsWith(prefix), line);
      token = line.substring(prefix.length());
      assertTrue(token.length() >= 22, "at least 128 random bits");
      assertEquals(line, grid.server().dashboardLine().orElseThrow());
      assertEquals(200, grid.as(token).get("/api/tokens").statusCode(), "the printed token is an admin's");
      assertEquals(401, grid.as(TestGrid.ADMIN_TOKEN).get("/api/jobs").statusCode(), "no other admin token was set");
    }

    var second = capturing(() -> TestGrid.start(dir, unset));
    try (TestGrid grid = second.getKey()) {
      assertEquals(List.of(), second.getValue(), "an admin exists: nothing printed");
      assertTrue(grid.server().dashboardLine().isEmpty());
      assertEquals(200, grid.as(token).get("/api/tokens").statusCode(), "the first token still works");
    }
  }

  @Test
  @DisplayName("BRAIN_ADMIN_TOKEN is the admin token: nothing printed, and it replaces an admin token made before")
  void configuredAdminToken() throws Exception {
    String configured = "brain_configured-admin-token-42";
    assertEquals(configured, BrainConfig.load(Map.of("BRAIN_ADMIN_TOKEN", configured), null).json()
        .getJsonObject("auth").getString("adminToken"), "BrainConfig reads BRAIN_ADMIN_TOKEN into auth.adminToken");

    Path dir = Files.createTempDirectory("brain-admin");
    var generated = capturing(() -> TestGrid.start(dir, Map.of("auth.adminToken", "")));
    String printed = generated.getValue().get(0);
    String old = printed.substring(printed.indexOf("?token=") + 7);
    generated.getKey().close();

    var started = capturing(() -> TestGrid.start(dir, Map.of("auth.adminToken", configured)));
    try (TestGrid grid = started.getKey()) {
      assertEquals(List.of(), started.getValue());
      assertEquals(200, grid.as(configured).get("/api/tokens").statusCode());
      assertEquals(401, grid.as(old).get("/api/tokens").statusCode(), "the admin row has the configured token now");
    }
    var again = capturing(() -> TestGrid.start(dir, Map.of("auth.adminToken", configured)));
    try (TestGrid grid = again.getKey()) {
      assertEquals(200, grid.as(configured).get("/api/tokens").statusCode(), "the same token at every start");
    }
  }

  @Test
  @DisplayName("a BRAIN_ADMIN_TOKEN too short to be a token stops the start with a clear message")
  void shortAdminTokenIsRefused() throws Exception {
    Path dir = Files.createTempDirectory("brain-short");
    AssertionError failed = assertThrows(AssertionError.class, () -> TestGrid.start(dir, Map.of("auth.adminToken", "secret")));
    assertTrue(failed.getMessage().contains("BRAIN_ADMIN_TOKEN"), failed.getMessage());
  }
}
