package brain.browser;

import brain.testing.Browser;
import brain.testing.TestGrid;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A real server and a real headless Chromium without WebGPU, fresh for each test of the dashboard's pages. */
abstract class BrowserGridTest {
  protected TestGrid grid;
  protected Browser browser;

  @BeforeEach
  void startGridAndBrowser() {
    grid = TestGrid.start();
    browser = Browser.withoutWebGpu();
  }

  @AfterEach
  void stopGridAndBrowser() {
    if (browser != null) {
      browser.close();
    }
    grid.close();
  }
}
