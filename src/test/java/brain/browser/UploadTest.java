package brain.browser;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Browser;
import brain.testing.Reference;
import brain.testing.TestGrid;
import com.microsoft.playwright.Download;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.ColorScheme;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's second way to submit, in real headless Chromium against the real server: two
 * .npy files chosen in the form, their headers read in the browser (shape and dtype shown at
 * once, a shape mismatch or an unsupported file explained before anything is sent), uploaded
 * with a progress bar each, multiplied by a real worker, and C downloaded as .npy from the job
 * view and checked against A·B.
 */
@Timeout(90)
class UploadTest extends BrowserGridTest {
  private static final double WAIT_MS = 30_000;

  @TempDir
  Path files;


  // ------------------------------------------------------------------ .npy files, written here

  /** A .npy file: magic, version, header length (u16 for 1.0, u32 for 2.0), the dict padded to 64, then the data as given. */
  static byte[] npy(int major, String descr, boolean fortran, int[] shape, byte[] data) {
    StringBuilder dims = new StringBuilder();
    for (int d : shape) {
      dims.append(d).append(", ");
    }
    String shapeText = shape.length == 1 ? "(" + shape[0] + ",)"
        : "(" + (dims.length() > 0 ? dims.substring(0, dims.length() - 2) : "") + ")";
    String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shapeText + ", }";
    int prefix = major == 1 ? 10 : 12;
    int total = prefix + dict.length() + 1;
    int padded = (total + 63) / 64 * 64;
    String header = dict + " ".repeat(padded - total) + "\n";
    ByteBuffer out = ByteBuffer.allocate(prefix + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
    out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
    if (major == 1) {
      out.putShort((short) header.length());
    } else {
      out.putInt(header.length());
    }
    out.put(header.getBytes(StandardCharsets.ISO_8859_1));
    out.put(data);
    assertEquals(0, (prefix + header.length()) % 64, "the header is padded to a multiple of 64");
    return out.array();
  }

  static byte[] float32(float[] values) {
    ByteBuffer out = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    out.asFloatBuffer().put(values);
    return out.array();
  }

  static float[] random(int count, long seed) {
    Random random = new Random(seed);
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (random.nextDouble() * 2 - 1);
    }
    return values;
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path file = files.resolve(name);
    Files.write(file, bytes);
    return file;
  }

  /** A C-order float32 version-1.0 file of random values. */
  private Path matrix(String name, int rows, int cols, long seed, float[][] keep) throws IOException {
    float[] values = random(rows * cols, seed);
    if (keep != null) {
      keep[0] = values;
    }
    return write(name, npy(1, "<f4", false, new int[] {rows, cols}, float32(values)));
  }

  /** Shape and float32 values of a downloaded .npy (C order, <f4, as the server writes it). */
  static float[] readNpy(byte[] bytes, int[] shapeOut) {
    assertEquals((byte) 0x93, bytes[0]);
    assertEquals("NUMPY", new String(bytes, 1, 5, StandardCharsets.ISO_8859_1), "the .npy magic");
    int major = bytes[6];
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int length = major == 1 ? Short.toUnsignedInt(in.getShort(8)) : in.getInt(8);
    int start = major == 1 ? 10 : 12;
    String header = new String(bytes, start, length, StandardCharsets.ISO_8859_1);
    assertTrue(header.contains("'descr': '<f4'"), header);
    assertTrue(header.contains("'fortran_order': False"), header);
    Matcher shape = Pattern.compile("'shape': \\((\\d+), (\\d+)\\)").matcher(header);
    assertTrue(shape.find(), header);
    shapeOut[0] = Integer.parseInt(shape.group(1));
    shapeOut[1] = Integer.parseInt(shape.group(2));
    byte[] data = java.util.Arrays.copyOfRange(bytes, start + length, bytes.length);
    assertEquals((long) shapeOut[0] * shapeOut[1] * 4, data.length, "data length agrees with the shape");
    return Reference.floats(data);
  }

  // ------------------------------------------------------------------ page helpers

  private Page dashboard(int width, int height, List<String> requests) {
    Page page = browser.open(grid.baseUrl() + "/?token=" + TestGrid.ADMIN_TOKEN, width, height);
    page.setDefaultTimeout(WAIT_MS);
    page.onRequest(r -> requests.add(r.method() + " " + r.url()));
    page.waitForSelector("body[data-ready=true]");
    page.waitForSelector("#bus-status[data-state=connected]");
    page.click("#mode-files");
    page.waitForSelector("#upload-form:not([hidden])");
    return page;
  }

  private static void waitForText(Page page, String selector, String text) {
    page.waitForFunction("([s, t]) => { const e = document.querySelector(s); return !!e && e.textContent.trim() === t; }",
        List.of(selector, text));
  }

  private static String text(Page page, String selector) {
    return page.textContent(selector).trim();
  }

  private static void screenshot(Page page, String name) {
    page.evaluate("() => window.scrollTo(0, 0)");
    page.waitForFunction("() => document.getAnimations().every(a => a.playState !== 'running'"
        + " || a.effect.getComputedTiming().endTime === Infinity)");
    Browser.screenshot(page, name);
  }

  /** The submit card alone, as it is now. */
  private static void cardShot(Page page, String name) {
    try {
      Files.createDirectories(Browser.SCREENSHOTS);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    page.evaluate("() => window.scrollTo(0, 0)"); // the card sits below the sticky top bar when the page is at its top
    page.locator("#submit").screenshot(new com.microsoft.playwright.Locator.ScreenshotOptions()
        .setPath(Browser.SCREENSHOTS.resolve(name + ".png")));
  }

  private static void assertNoOverflow(Page page) {
    int overflow = ((Number) page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")).intValue();
    assertTrue(overflow <= 0, "the page scrolls sideways by " + overflow + " px");
  }

  private static List<String> uploads(List<String> requests) {
    return requests.stream().filter(r -> r.contains("/api/matrices")).toList();
  }

  /** The matrices the server lists (an array, or an object holding one). */
  private JsonArray matricesOnServer() {
    HttpResponse<String> listed = grid.get("/api/matrices");
    assertEquals(200, listed.statusCode(), listed.body());
    String body = listed.body().trim();
    if (body.startsWith("[")) {
      return new JsonArray(body);
    }
    JsonObject object = new JsonObject(body);
    for (String key : List.of("matrices", "items", "data")) {
      if (object.getJsonArray(key) != null) {
        return object.getJsonArray(key);
      }
    }
    throw new AssertionError("no list in " + body);
  }

  // ------------------------------------------------------------------ tests

  @Test
  @DisplayName("headers are read in the browser: shape and dtype at once, a mismatch and unsupported files explained, nothing sent")
  void headersReadBeforeSending() throws IOException {
    List<String> requests = new CopyOnWriteArrayList<>();
    Page page = dashboard(1280, 800, requests);

    // A 500×300 and B 200×400: the mismatch, in words, as soon as both are chosen.
    page.setInputFiles("#u-fileA", matrix("a-500x300.npy", 500, 300, 1, null));
    waitForText(page, "#u-shapeA", "500×300");
    assertEquals("float32", text(page, "#u-dtypeA"));
    assertEquals("a-500x300.npy", text(page, "#u-nameA"));
    assertEquals("600 kB", text(page, "#u-sizeA"), "600,000 bytes of data and a 128-byte header: " + text(page, "#u-sizeA"));
    page.setInputFiles("#u-fileB", matrix("b-200x400.npy", 200, 400, 2, null));
    waitForText(page, "#u-shapeB", "200×400");
    page.waitForSelector("#upload-check[data-state=mismatch]");
    assertEquals("A is 500×300, B is 200×400: A's 300 columns must equal B's rows.", text(page, "#upload-check"));
    screenshot(page, "upload-mismatch-1280x800");
    cardShot(page, "upload-mismatch-card");

    // Submitting anyway: the explanation is pointed at, the file to change focused, and nothing is sent.
    page.click("#upload-button");
    page.waitForSelector("#upload-check[data-attention=true]");
    assertEquals("u-fileB", page.evaluate("() => document.activeElement.id"));
    assertEquals("A is 500×300, B is 200×400: A's 300 columns must equal B's rows.", text(page, "#upload-check"));
    assertFalse(page.isVisible("#upload-ok"));
    assertEquals(List.of(), uploads(requests), "nothing is sent for a mismatch");

    // A float64, Fortran-order, version-2.0 B of 300 rows: accepted, converted on the server.
    Path f8 = write("b-f8-fortran.npy", npy(2, "<f8", true, new int[] {300, 4}, new byte[300 * 4 * 8]));
    page.setInputFiles("#u-fileB", f8);
    waitForText(page, "#u-shapeB", "300×4");
    assertEquals("float64 → float32 · Fortran order", text(page, "#u-dtypeB"));
    page.waitForSelector("#upload-check[data-state=ok]");
    assertTrue(text(page, "#upload-check").contains("A 500×300 · B 300×4 → C 500×4"), text(page, "#upload-check"));
    assertEquals("ready", page.getAttribute("#slot-B", "data-state"));
    cardShot(page, "upload-ready-card");

    // Files the server would refuse: each explained in its box and in the check line.
    record Bad(String name, byte[] bytes, String says) {}
    List<Bad> bad = List.of(
        new Bad("ints.npy", npy(1, "<i8", false, new int[] {300, 4}, new byte[300 * 4 * 8]),
            "B holds int64 (<i8) values; only float32 (<f4) and float64 (<f8) are accepted."),
        new Bad("big-endian.npy", npy(1, ">f4", false, new int[] {300, 4}, new byte[300 * 4 * 4]),
            "B holds big-endian float32 (>f4) values"),
        new Bad("cube.npy", npy(1, "<f4", false, new int[] {3, 4, 5}, new byte[3 * 4 * 5 * 4]),
            "B has shape (3, 4, 5): 3-D; a matrix must be 2-D (rows, columns)."),
        new Bad("vector.npy", npy(1, "<f4", false, new int[] {300}, new byte[300 * 4]),
            "B has shape (300,): 1-D; a matrix must be 2-D (rows, columns)."),
        new Bad("truncated.npy", npy(1, "<f4", false, new int[] {300, 4}, new byte[300 * 4 * 4 - 8]),
            "B is cut short: its header says 300×4 float32 (4,800 bytes of data) but the file holds 4,792."),
        new Bad("notes.npy", "just some text, not numpy".getBytes(StandardCharsets.UTF_8),
            "B is not a .npy file"));
    for (Bad b : bad) {
      page.setInputFiles("#u-fileB", write(b.name(), b.bytes()));
      page.waitForFunction("n => document.getElementById('u-nameB').textContent === n"
          + " && document.getElementById('slot-B').dataset.state === 'invalid'", b.name());
      assertTrue(text(page, "#u-problemB").startsWith(b.says()), b.name() + ": " + text(page, "#u-problemB"));
      assertEquals("B cannot be sent as it is (the reason is under the file): choose another B.", text(page, "#upload-check"));
      assertEquals("invalid", page.getAttribute("#upload-check", "data-state"));
      assertEquals("true", page.getAttribute("#u-fileB", "aria-invalid"));
      if (b.name().equals("ints.npy")) {
        cardShot(page, "upload-unsupported-card");
      }
    }
    page.click("#upload-button");
    page.waitForSelector("#upload-check[data-attention=true]");
    assertEquals("u-fileB", page.evaluate("() => document.activeElement.id"));
    assertEquals(List.of(), uploads(requests), "nothing is sent for an unsupported file");

    // Phone width: the two boxes stack, nothing scrolls sideways.
    page.setViewportSize(390, 844);
    page.waitForFunction("() => window.innerWidth === 390");
    assertNoOverflow(page);
    cardShot(page, "upload-unsupported-card-390");
    page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
    page.setViewportSize(1280, 800);
    cardShot(page, "upload-unsupported-card-dark");
    assertEquals(List.of(), browser.problems(), "console errors or page errors");
  }

  @Test
  @DisplayName("two .npy files uploaded from the dashboard with progress, multiplied by a worker, C downloaded as .npy equals A·B")
  void uploadMultiplyDownload() throws IOException {
    grid.worker("w");
    List<String> requests = new CopyOnWriteArrayList<>();
    Page page = dashboard(1280, 800, requests);

    // First a mismatch: explained, and the server holds nothing.
    page.setInputFiles("#u-fileA", matrix("a-500x300.npy", 500, 300, 1, null));
    page.setInputFiles("#u-fileB", matrix("b-200x400.npy", 200, 400, 2, null));
    page.waitForSelector("#upload-check[data-state=mismatch]");
    page.click("#upload-button");
    page.waitForSelector("#upload-check[data-attention=true]");
    assertEquals("A is 500×300, B is 200×400: A's 300 columns must equal B's rows.", text(page, "#upload-check"));
    assertEquals(List.of(), uploads(requests));
    assertEquals(0, matricesOnServer().size(), "nothing was uploaded");

    // Then matching files: 120×70 · 70×90.
    float[][] a = new float[1][];
    float[][] b = new float[1][];
    page.setInputFiles("#u-fileA", matrix("a.npy", 120, 70, 11, a));
    page.setInputFiles("#u-fileB", matrix("b.npy", 70, 90, 12, b));
    waitForText(page, "#u-shapeA", "120×70");
    waitForText(page, "#u-shapeB", "70×90");
    page.waitForSelector("#upload-check[data-state=ok]");
    page.selectOption("#u-verify", "full");
    page.fill("#u-chunkRows", "30");

    String id;
    try (TestGrid.JobWatch watch = grid.watch()) {
      page.click("#upload-button");
      page.waitForSelector("#upload-ok:not([hidden])");
      assertEquals("100", page.getAttribute("#u-progressA", "aria-valuenow"));
      assertEquals("100", page.getAttribute("#u-progressB", "aria-valuenow"));
      assertEquals("uploaded", page.getAttribute("#slot-A", "data-state"));
      assertTrue(text(page, "#u-progressA-text").contains("120×70"), text(page, "#u-progressA-text"));
      List<String> sent = uploads(requests);
      assertEquals(2, sent.size(), sent.toString());
      assertTrue(sent.stream().allMatch(r -> r.startsWith("POST ")), sent.toString());
      assertEquals(2, matricesOnServer().size());

      id = page.getAttribute("#job", "data-job-id");
      assertNotNull(id);
      assertFalse(id.isEmpty());
      page.waitForSelector("#job-list li[data-job-id='" + id + "']");
      JsonObject done = watch.finished(id);
      assertEquals("completed", done.getString("status"), done.encodePrettily());
    }
    JsonObject stored = grid.job(id);
    assertEquals(120, stored.getInteger("rowsA"));
    assertEquals(70, stored.getInteger("colsA"));
    assertEquals(90, stored.getInteger("colsB"));
    assertEquals("full", stored.getString("verify"));
    assertEquals(30, stored.getInteger("chunkRows"));

    page.waitForSelector("#job[data-status=completed]");
    page.waitForSelector("#job-verification[data-state=passed]");
    page.waitForSelector("#job-download:not([hidden])");
    assertEquals("Download C (.npy)", text(page, "#job-download"));
    screenshot(page, "upload-completed-1280x800");
    cardShot(page, "upload-completed-card");

    Download download = page.waitForDownload(() -> page.click("#job-download"));
    assertEquals("job-" + id + "-C.npy", download.suggestedFilename());
    assertNull(download.failure(), "the download finished");
    byte[] bytes = Files.readAllBytes(download.path());
    int[] shape = new int[2];
    float[] c = readNpy(bytes, shape);
    assertArrayEquals(new int[] {120, 90}, shape);
    Reference.assertProduct(a[0], b[0], c, 120, 70, 90);

    // The same files again: nothing is uploaded a second time from this page.
    int before = uploads(requests).size();
    page.click("#upload-button");
    page.waitForFunction("prev => document.getElementById('job').dataset.jobId !== prev", id);
    assertEquals(before, uploads(requests).size(), "files already sent keep their ids");
    assertEquals(List.of(), browser.problems(), "console errors or page errors");
  }
}
