package brain.worker;

import brain.blas.OpenBlas;
import static org.junit.jupiter.api.Assertions.*;

import brain.bench.EnginesBench;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The benchmark's table "engines" (issue 12): its rows, its JSON and the browser hook. Figures are not asserted. */
@Timeout(120)
class EnginesTableTest {
  @Test
  @DisplayName("the engines table has a row for each engine, NumPy or the reason it is missing, and the browser hook")
  void enginesTable() {
    List<String> progress = new ArrayList<>();
    EnginesBench bench = EnginesBench.measure(progress::add, true);
    assertFalse(progress.isEmpty());

    JsonObject json = bench.json();
    assertEquals(1024, json.getInteger("n"));
    assertTrue(json.getJsonObject("env").containsKey("OPENBLAS_CORETYPE"), json.encodePrettily());
    List<JsonObject> rows = json.getJsonArray("rows").stream().map(JsonObject.class::cast).toList();
    boolean numpy = !json.getJsonObject("numpy").containsKey("error");
    for (int threads : Runtime.getRuntime().availableProcessors() > 1
        ? new int[] {1, Runtime.getRuntime().availableProcessors()} : new int[] {1}) {
      JsonObject blas = row(rows, "OpenBLAS", threads);
      if (OpenBlas.availability().loaded()) {
        assertTrue(blas.getDouble("gflops") > 0, blas.encode());
        assertEquals(numpy, blas.containsKey("shareOfNumpy"), blas.encode());
        if (numpy) {
          assertNotNull(blas.getBoolean("met"), "the target is judged: " + blas.encode());
        }
      } else {
        assertTrue(blas.getString("note").startsWith("not measured: OpenBLAS could not load"), blas.encode());
      }
      JsonObject np = row(rows, "NumPy", threads);
      assertEquals(numpy, np.containsKey("gflops"), np.encode());
      if (!numpy) {
        assertTrue(np.getString("note").startsWith("not measured: "), np.encode());
      }
    }
    assertTrue(row(rows, "EJML", 1).getDouble("gflops") > 0);
    // The tab rows: measured in real Chromium where it is installed, else a reason.
    List<JsonObject> tabs = rows.stream().filter(r -> r.getString("engine").startsWith("worker tab")).toList();
    assertEquals(2, tabs.size(), "the WebAssembly and the JavaScript tab engines, side by side");
    for (JsonObject tab : tabs) {
      assertTrue(tab.containsKey("gflops") ? tab.getDouble("gflops") > 0 : tab.getString("note").startsWith("not measured: "),
          tab.encode());
    }

    assertEquals("not measured: no Chromium here", bench.browserRow("test tab engine", 1, (n, t) -> {
      throw new EnginesBench.NotMeasured("no Chromium here");
    }));
    assertEquals("12.5 GFLOP/s", bench.browserRow("fake tab engine", 1, (n, t) -> {
      assertEquals(1024, n);
      return 12.5;
    }));
    JsonObject fake = row(bench.json().getJsonArray("rows").stream().map(JsonObject.class::cast).toList(),
        "fake tab engine", 1);
    assertEquals(12.5, fake.getDouble("gflops"));
    assertEquals(numpy, fake.containsKey("shareOfNumpy"));

    String table = bench.table();
    assertTrue(table.startsWith("engines\n"), table);
    for (String engine : List.of("NumPy", "OpenBLAS", "EJML", "worker tab", "fake tab engine", "env: ")) {
      assertTrue(table.contains(engine), engine + " in\n" + table);
    }
  }

  private static JsonObject row(List<JsonObject> rows, String prefix, int threads) {
    return rows.stream().filter(r -> r.getString("engine").startsWith(prefix) && r.getInteger("threads") == threads)
        .findFirst().orElseThrow(() -> new AssertionError("no row " + prefix + " × " + threads + ": " + rows));
  }
}
