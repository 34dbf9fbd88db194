package brain.testing;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.ConsoleMessage;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright with the machine's
 * Node; nothing is downloaded). One browser per test class; one context per tab so tabs have
 * their own storage, like different people's browsers. Console errors and page errors are
 * collected and fail the test that asks.
 */
public final class Browser implements AutoCloseable {
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  public static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final List<String> FLAGS = List.of("--no-sandbox", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
      "--disable-quic", "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
      "--disable-backgrounding-occluded-windows");

  private final Playwright playwright;
  private final com.microsoft.playwright.Browser browser;
  private final List<BrowserContext> contexts = new ArrayList<>();
  private final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();

  private Browser(boolean webGpu) {
    Map<String, String> env = new HashMap<>();
    env.put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    String node = System.getenv().getOrDefault("PLAYWRIGHT_NODEJS_PATH", "/usr/bin/node");
    env.put("PLAYWRIGHT_NODEJS_PATH", node);
    playwright = Playwright.create(new Playwright.CreateOptions().setEnv(env));
    List<String> args = new ArrayList<>(FLAGS);
    if (webGpu) {
      args.add("--enable-unsafe-webgpu");
    }
    browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
        .setExecutablePath(CHROMIUM).setHeadless(true).setArgs(args));
  }

  /** A browser whose tabs get WebGPU (Chromium's SwiftShader adapter: real WGSL, on the CPU). */
  public static Browser withWebGpu() {
    return new Browser(true);
  }

  /** A browser without WebGPU: navigator.gpu exists but no adapter is given, as on most machines today. */
  public static Browser withoutWebGpu() {
    return new Browser(false);
  }

  /** Opens a page in a fresh context (own storage) with the given viewport. */
  public Page open(String url, int width, int height) {
    BrowserContext context = browser.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
        .setViewportSize(width, height));
    contexts.add(context);
    Page page = context.newPage();
    page.onConsoleMessage(message -> record(url, message));
    page.onPageError(error -> problems.add(url + ": page error: " + error));
    page.navigate(url);
    return page;
  }

  public Page open(String url) {
    return open(url, 1100, 800);
  }

  private void record(String url, ConsoleMessage message) {
    if ("error".equals(message.type())) {
      // The location names the resource of a "Failed to load resource" error (its text does not).
      String where = message.location() == null || message.location().isEmpty() ? "" : " (" + message.location() + ")";
      problems.add(url + ": console error: " + message.text() + where);
    }
  }

  /** Console errors and uncaught page errors seen so far. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  public static Path screenshot(Page page, String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    Path file = SCREENSHOTS.resolve(name + ".png");
    page.screenshot(new Page.ScreenshotOptions().setPath(file).setFullPage(true));
    return file;
  }

  /** Closes one tab's context: its sockets close as when a person closes the tab. */
  public void closeTab(Page page) {
    page.context().close();
    contexts.remove(page.context());
  }

  @Override
  public void close() {
    contexts.forEach(BrowserContext::close);
    browser.close();
    playwright.close();
  }
}
