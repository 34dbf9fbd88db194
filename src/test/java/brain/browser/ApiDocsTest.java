package brain.browser;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Browser;
import brain.testing.TestGrid;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.WaitForSelectorState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Swagger UI at /api/docs, in real headless Chromium under the server's Content-Security-Policy
 * (no inline script, no eval): it loads /api/openapi.yaml and shows every operation, without a
 * console error (a CSP refusal is one).
 */
@Timeout(120)
class ApiDocsTest {
  private TestGrid grid;
  private Browser browser;

  @BeforeEach
  void start() {
    grid = TestGrid.start();
    browser = Browser.withoutWebGpu();
  }

  @AfterEach
  void stop() {
    browser.close();
    grid.close();
  }

  @Test
  @DisplayName("/api/docs renders Swagger UI on /api/openapi.yaml, every operation listed, no console error")
  void swaggerUiRenders() {
    Page page = browser.open(grid.baseUrl() + "/api/docs");
    page.waitForSelector(".opblock", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.ATTACHED));
    page.waitForFunction("() => document.querySelectorAll('.opblock').length >= 24");
    int operations = (int) page.evalOnSelectorAll(".opblock", "els => els.length");
    assertTrue(page.textContent(".info .title").contains("Distributed Brain"));
    assertTrue(page.content().contains("/api/jobs/{id}/result"), "the job routes are listed");
    Browser.screenshot(page, "api-docs");
    assertEquals(java.util.List.of(), browser.problems(), operations + " operations shown");
  }
}
