package brain.browser;

import static org.junit.jupiter.api.Assertions.*;

import brain.testing.Browser;
import brain.testing.TestGrid;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.ColorScheme;
import com.microsoft.playwright.options.Cookie;
import com.microsoft.playwright.options.SameSiteAttribute;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Signing in to the dashboard, in real headless Chromium against the real server: by a
 * {@code ?token=} link (the token leaves the address bar), through the form, and out again;
 * a requestor sees only its own jobs (REST and live feed), a stranger only the public view
 * (and the page asks nothing that needs a token), an admin every job and the tokens panel.
 */
@Timeout(90)
class SignInTest extends BrowserGridTest {
  private static final double WAIT_MS = 30_000;
  private static final String JOB = "{\"rowsA\":40,\"colsA\":30,\"colsB\":20}";


  // ------------------------------------------------------------------ the API, with a given token

  private String admin() {
    return TestGrid.ADMIN_TOKEN;
  }

  /** Creates a token through the admin API and answers it. */
  private String createToken(String name, String role) {
    return grid.createToken(name, role);
  }

  private String submitAs(String token, String json) {
    return grid.as(token).submit(json);
  }

  /** The tokens the server lists (GET /api/tokens as admin), by name. */
  private Map<String, JsonObject> tokensOnServer() {
    HttpResponse<String> r = grid.as(admin()).get("/api/tokens");
    assertEquals(200, r.statusCode(), r.body());
    JsonArray list = new JsonObject(r.body()).getJsonArray("tokens");
    Map<String, JsonObject> byName = new java.util.LinkedHashMap<>();
    list.forEach(o -> byName.put(((JsonObject) o).getString("name"), (JsonObject) o));
    return byName;
  }

  // ------------------------------------------------------------------ the page

  private Page open(String pathAndQuery, int width, int height) {
    Page page = browser.open(grid.baseUrl() + pathAndQuery, width, height);
    page.setDefaultTimeout(WAIT_MS);
    page.waitForSelector("body[data-ready=true]");
    page.waitForSelector("#bus-status[data-state=connected]");
    return page;
  }

  private static void waitForText(Page page, String selector, String text) {
    page.waitForFunction("([s, t]) => { const e = document.querySelector(s); return !!e && e.textContent.trim() === t; }",
        List.of(selector, text));
  }

  private static boolean visible(Page page, String selector) {
    return page.locator(selector).isVisible();
  }

  private static Optional<Cookie> sessionCookie(Page page) {
    return page.context().cookies().stream().filter(c -> c.name.equals("brain_session")).findFirst();
  }

  /** Every URL the page fetched (resource timing: scripts, fetches, the SockJS info request). */
  @SuppressWarnings("unchecked")
  private static List<String> requested(Page page) {
    return (List<String>) page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)");
  }

  private List<String> problemsBut(String... expected) {
    List<String> problems = new ArrayList<>(browser.problems());
    for (String e : expected) {
      problems.removeIf(p -> p.contains(e));
    }
    return problems;
  }

  private static void settle(Page page) {
    page.waitForFunction("() => document.getAnimations().every(a => a.playState !== 'running'"
        + " || a.effect.getComputedTiming().endTime === Infinity)");
  }

  private static void screenshot(Page page, String name) {
    page.evaluate("() => window.scrollTo(0, 0)");
    settle(page);
    Browser.screenshot(page, name);
  }

  /** Phone, laptop and large monitor; none may scroll sideways. */
  private static void screenshots(Page page, String name) {
    int[][] sizes = {{390, 844}, {1280, 800}, {1920, 1080}};
    for (int[] size : sizes) {
      page.setViewportSize(size[0], size[1]);
      page.waitForFunction("w => window.innerWidth === w", size[0]);
      page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
      int overflow = ((Number) page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")).intValue();
      assertTrue(overflow <= 0, "the page scrolls sideways by " + overflow + " px at " + size[0] + " px wide");
      screenshot(page, name + "-" + size[0] + "x" + size[1]);
    }
  }

  /** One part of the page, at the viewport's size (a phone's full page is too tall to read). */
  private static void partShot(Page page, String selector, String name) {
    settle(page);
    try {
      java.nio.file.Files.createDirectories(Browser.SCREENSHOTS);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    page.locator(selector).screenshot(new com.microsoft.playwright.Locator.ScreenshotOptions()
        .setPath(Browser.SCREENSHOTS.resolve(name + ".png")));
  }

  // ------------------------------------------------------------------ tests

  @Test
  @DisplayName("opened with ?token= a requestor is signed in, the token leaves the address bar, and it sees only its own jobs, live too")
  void requestorSignsInByLink() {
    String alice = createToken("alice", "requestor");
    String bob = createToken("bob", "requestor");
    String aliceJob = submitAs(alice, JOB);
    String bobJob = submitAs(bob, JOB);

    Page page = open("/?token=" + alice + "#job=" + aliceJob, 1280, 800);
    assertEquals(grid.baseUrl() + "/#job=" + aliceJob, page.url(), "the token is gone from the address, the hash kept");
    assertFalse(page.url().contains(alice));
    assertFalse((Boolean) page.evaluate("t => location.href.includes(t) || document.body.textContent.includes(t)", alice),
        "the token is nowhere on the page");

    // The cookie holds it, out of reach of scripts and of other sites.
    Cookie cookie = sessionCookie(page).orElseThrow(() -> new AssertionError("no brain_session cookie"));
    assertTrue(cookie.httpOnly, "HttpOnly");
    assertEquals(SameSiteAttribute.STRICT, cookie.sameSite);
    assertFalse(((String) page.evaluate("() => document.cookie")).contains("brain_session"));
    assertFalse((Boolean) page.evaluate("t => JSON.stringify({...localStorage, ...sessionStorage}).includes(t)", alice),
        "the token is not in web storage");

    waitForText(page, "#account-name", "alice");
    assertEquals("requestor", page.textContent("#account-role").trim());
    assertTrue(visible(page, "#sign-out"));
    assertFalse(visible(page, "#signin"), "no sign-in form when signed in");
    assertFalse(visible(page, "#tokens"), "no tokens panel for a requestor");

    // Its job, not bob's: in the live list, the history and the selected job.
    page.waitForSelector("#job-list li[data-job-id='" + aliceJob + "']");
    page.waitForSelector("#history-rows tr[data-job-id='" + aliceJob + "']");
    page.waitForSelector("#job[data-job-id='" + aliceJob + "'][data-status=queued]");
    assertEquals(0, page.locator("[data-job-id='" + bobJob + "']").count(), "bob's job is nowhere");
    assertEquals(1, page.locator("#history-rows tr").count());
    assertEquals(1, page.locator("#job-list li").count());
    assertFalse(visible(page, "#history-by-head"), "no 'By' column for a requestor");
    assertTrue(page.textContent("#history-scope").contains("alice"), page.textContent("#history-scope"));

    // Live: bob's new job never reaches alice's page; her own does, through the feed.
    String bobLater = submitAs(bob, JOB);
    String aliceLater = submitAs(alice, JOB);
    page.waitForSelector("#job-list li[data-job-id='" + aliceLater + "']");
    page.waitForSelector("#history-rows tr[data-job-id='" + aliceLater + "']");
    assertEquals(0, page.locator("[data-job-id='" + bobLater + "']").count(), "bob's later job is not fed to alice");
    assertEquals(2, page.locator("#history-rows tr").count());

    screenshots(page, "signin-requestor");
    page.setViewportSize(390, 844);
    partShot(page, ".topbar", "signin-requestor-topbar-390x844");
    partShot(page, "#history", "signin-requestor-history-390x844");
    assertEquals(List.of(), browser.problems(), "console errors or page errors");
  }

  @Test
  @DisplayName("without a token: the public view (health, workers, leaderboard, a sign-in form), nothing that needs a token is asked")
  void publicView() {
    String alice = createToken("alice", "requestor");
    String aliceJob = submitAs(alice, JOB);
    grid.worker("public-jvm");

    Page page = open("/", 1280, 800);
    waitForText(page, "#h-workers", "1");
    page.waitForSelector("#workers-rows tr >> text=public-jvm");
    for (String part : List.of("#health", "#workers", "#leaderboard", "#signin", "#signin-form", "#sign-in-jump")) {
      assertTrue(visible(page, part), part + " is shown");
    }
    for (String part : List.of("#submit", "#jobs", "#job", "#timeline", "#network", "#history", "#tokens", "#account-who", "#sign-out")) {
      assertFalse(visible(page, part), part + " is not shown");
    }
    assertEquals("password", page.getAttribute("#signin-token", "type"), "the token is typed like a password");
    assertEquals(0, page.locator("[data-job-id='" + aliceJob + "']").count());
    assertEquals("", page.getAttribute("body", "data-role"));
    assertEquals("public", page.getAttribute("body", "data-auth"));
    // Only public endpoints were asked: no 401 answer, no console error.
    List<String> asked = requested(page).stream().filter(u -> u.contains("/api/")).toList();
    assertFalse(asked.isEmpty(), "the public figures come from the API");
    for (String url : asked) {
      String path = URI.create(url).getPath();
      assertTrue(List.of("/api/health", "/api/workers", "/api/leaderboard").contains(path), "asked without a token: " + url);
    }
    assertTrue(sessionCookie(page).isEmpty());
    screenshots(page, "signin-public");
    page.setViewportSize(390, 844);
    partShot(page, ".topbar", "signin-public-topbar-390x844");
    partShot(page, "#signin", "signin-public-form-390x844");
    page.setViewportSize(1280, 800);
    page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
    page.setViewportSize(1280, 800);
    screenshot(page, "signin-public-dark-1280x800");
    page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.LIGHT));
    assertEquals(List.of(), browser.problems(), "console errors or page errors");

    // A wrong token: a clear message, still the public view.
    page.fill("#signin-token", "brain_not-a-token-anyone-was-given");
    page.click("#signin-button");
    page.waitForSelector("#signin-error:not([hidden])");
    assertTrue(page.textContent("#signin-error").contains("not accepted"), page.textContent("#signin-error"));
    assertEquals("true", page.getAttribute("#signin-token", "aria-invalid"));
    assertTrue(sessionCookie(page).isEmpty());
    screenshot(page, "signin-refused-1280x800");

    // The right one, through the form: signed in, alice's job shows.
    page.fill("#signin-token", alice);
    page.click("#signin-button");
    page.waitForSelector("#account-who:not([hidden])");
    page.waitForSelector("body[data-ready=true][data-auth=signed-in]");
    waitForText(page, "#account-name", "alice");
    page.waitForSelector("#history-rows tr[data-job-id='" + aliceJob + "']");
    page.waitForSelector("#bus-status[data-state=connected]");
    assertFalse(visible(page, "#signin"));
    assertTrue(sessionCookie(page).isPresent());
    assertNull(URI.create(page.url()).getQuery(), page.url());

    // Sign out: back to the public view, the cookie gone.
    page.click("#sign-out");
    page.waitForSelector("body[data-ready=true][data-auth=public]");
    page.waitForSelector("#signin-form");
    assertTrue(visible(page, "#signin"));
    assertFalse(visible(page, "#jobs"));
    assertFalse(visible(page, "#history"));
    assertEquals(0, page.locator("[data-job-id='" + aliceJob + "']").count());
    assertTrue(page.textContent("#signin-notice").contains("Signed out"), page.textContent("#signin-notice"));
    assertTrue(sessionCookie(page).isEmpty(), "the cookie is cleared");
    page.waitForSelector("#bus-status[data-state=connected]");
    waitForText(page, "#h-workers", "1");
    // The one expected console line: Chromium reports the 401 answer to the wrong token.
    assertEquals(List.of(), problemsBut("status of 401"));
    assertEquals(1, browser.problems().size(), browser.problems().toString());
  }

  @Test
  @DisplayName("an admin sees every requestor's jobs with who submitted them, and creates and revokes tokens in the tokens panel")
  void adminManagesTokens() {
    String alice = createToken("alice", "requestor");
    String bob = createToken("bob", "requestor");
    String aliceJob = submitAs(alice, JOB);
    String bobJob = submitAs(bob, JOB);

    Page page = open("/?token=" + admin(), 1280, 800);
    assertNull(URI.create(page.url()).getQuery(), "the token is gone from the address: " + page.url());
    assertFalse(page.url().contains(admin()));
    waitForText(page, "#account-role", "admin");
    assertTrue(visible(page, "#tokens"));
    // Everyone's jobs, with who submitted each.
    page.waitForSelector("#history-rows tr[data-job-id='" + aliceJob + "']");
    page.waitForSelector("#history-rows tr[data-job-id='" + bobJob + "']");
    assertTrue(visible(page, "#history-by-head"));
    assertEquals("alice", page.textContent("#history-rows tr[data-job-id='" + aliceJob + "'] .history-by").trim());
    assertEquals("bob", page.textContent("#history-rows tr[data-job-id='" + bobJob + "'] .history-by").trim());

    // The list: what the server lists, never a token.
    page.waitForSelector("#tokens-rows tr[data-token-name=bob]");
    Map<String, JsonObject> listed = tokensOnServer();
    assertEquals(listed.size(), page.locator("#tokens-rows tr").count());
    for (JsonObject t : listed.values()) {
      String row = "#tokens-rows tr[data-token-name='" + t.getString("name") + "']";
      assertEquals(t.getString("role"), page.textContent(row + " .pill-role").trim());
    }
    String me = page.textContent("#account-name").trim();
    assertTrue(page.locator("#tokens-rows tr[data-token-name='" + me + "'] .token-you").isVisible(), "the admin's own row is marked");
    assertFalse(page.textContent("#tokens").contains(alice), "no token is shown in the list");

    // Create: the token is shown once, with a copy button and the warning.
    page.fill("#t-name", "carol");
    page.selectOption("#t-role", "requestor");
    page.click("#token-create");
    page.waitForSelector("#token-new:not([hidden])");
    String carol = page.inputValue("#token-new-value");
    assertFalse(carol.isBlank());
    assertTrue(page.textContent("#token-new").contains("will not be shown again"), page.textContent("#token-new"));
    assertTrue(visible(page, "#token-copy"));
    page.waitForSelector("#tokens-rows tr[data-token-name=carol]");
    assertEquals("requestor", tokensOnServer().get("carol").getString("role"));
    assertEquals(200, grid.as(carol).get("/api/jobs").statusCode(), "the new token works");
    page.click("#token-copy");
    page.waitForFunction("() => document.getElementById('token-copy-status').textContent.length > 0");
    screenshots(page, "signin-admin-new-token");
    page.setViewportSize(390, 844);
    partShot(page, ".topbar", "signin-admin-topbar-390x844");
    partShot(page, "#tokens", "signin-admin-tokens-390x844");
    page.setViewportSize(1280, 800);
    page.click("#token-done");
    page.waitForSelector("#token-new", new Page.WaitForSelectorOptions().setState(com.microsoft.playwright.options.WaitForSelectorState.HIDDEN));
    assertEquals("", page.inputValue("#token-new-value"), "the token left the page");

    // A name taken: the server's reason under the form.
    page.fill("#t-name", "carol");
    page.click("#token-create");
    page.waitForSelector("#token-error:not([hidden])");
    assertFalse(page.textContent("#token-error").isBlank());

    // Revoke, with a confirmation; "Keep" changes nothing.
    String carolRow = "#tokens-rows tr[data-token-name=carol]";
    page.click(carolRow + " .revoke-button");
    page.click(carolRow + " .revoke-keep");
    assertTrue(tokensOnServer().containsKey("carol"));
    page.click(carolRow + " .revoke-button");
    page.waitForSelector(carolRow + " .revoke-confirm");
    assertTrue(page.textContent(carolRow).contains("Revoke carol?"), page.textContent(carolRow));
    page.setViewportSize(1280, 800);
    screenshot(page, "signin-admin-revoke-1280x800");
    page.click(carolRow + " .revoke-confirm");
    page.waitForSelector(carolRow, new Page.WaitForSelectorOptions().setState(com.microsoft.playwright.options.WaitForSelectorState.DETACHED));
    assertFalse(tokensOnServer().containsKey("carol"), "revoked on the server");
    assertEquals(401, grid.as(carol).get("/api/jobs").statusCode(), "the revoked token no longer works");
    assertTrue(tokensOnServer().containsKey("alice"));

    page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
    screenshot(page, "signin-admin-dark-1280x800");
    // The one expected console line: Chromium reports the refused (taken) name.
    List<String> problems = problemsBut("status of 409", "status of 400");
    assertEquals(List.of(), problems);
  }

  @Test
  @DisplayName("a requestor whose token is revoked while its page is open is taken back to the public view")
  void revokedWhileOpen() {
    String dave = createToken("dave", "requestor");
    String daveJob = submitAs(dave, JOB);
    Page page = open("/?token=" + dave, 1280, 800);
    page.waitForSelector("#history-rows tr[data-job-id='" + daveJob + "']");

    assertEquals(204, grid.as(admin()).delete("/api/tokens/dave").statusCode());
    // The bridge drops the socket; on its way back the page finds the session gone.
    page.waitForSelector("body[data-ready=true][data-auth=public]");
    page.waitForSelector("#signin-notice:not([hidden])");
    assertTrue(page.textContent("#signin-notice").contains("session has ended"), page.textContent("#signin-notice"));
    assertEquals(0, page.locator("[data-job-id='" + daveJob + "']").count());
    assertFalse(visible(page, "#jobs"));
    // Expected: the 401 answers that told the page (and the socket closed under it).
    assertEquals(List.of(), problemsBut("status of 401", "WebSocket connection to"));
  }
}
