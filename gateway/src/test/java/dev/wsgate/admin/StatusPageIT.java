package dev.wsgate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wsgate.config.Leg;
import dev.wsgate.peers.PeerProcess;
import dev.wsgate.peers.Peers;
import dev.wsgate.testing.AdminClient;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real browser: headless Chromium loads {@code http://127.0.0.1:ADMIN/} from a gateway with
 * live sessions ({@link StatusScenario}), lets the page fetch {@code status.json} and render it, and dumps the DOM;
 * the test reads the numbers the page shows from their elements' data attributes. A second run takes a screenshot,
 * kept as a build artifact: {@code gateway/target/status-page.png}.
 *
 * <p>How long the browser waits: {@code --virtual-time-budget} (3 s of the page's own time, less than its 5 s refresh:
 * one fetch). Virtual time stands still while a fetch is under way, so the dump waits for {@code status.json} and its
 * rendering, and the page is idle otherwise (no WebSocket, unlike {@code ChromiumIT}'s page). Chromium resolves no
 * host but 127.0.0.1 here ({@code --host-resolver-rules}): the page must need nothing from elsewhere.
 */
class StatusPageIT {

  /** How long Chromium may take, start to exit. */
  private static final Duration BROWSER = Duration.ofSeconds(60);
  /** Where the screenshot is kept, relative to the module (the build's working directory). */
  static final Path SCREENSHOT = Path.of("target", "status-page.png");

  @TempDir
  Path dir;

  private Path chromium;

  @BeforeEach
  void requireChromium() {
    chromium = Peers.requireChromium();
  }

  @Test
  void pageShowsWhatTheGatewayKnows() throws Exception {
    try (StatusScenario s = StatusScenario.start()) {
      String url = "http://127.0.0.1:" + s.adminPort() + "/";
      long pongsBefore = s.gw.gateway().metrics().rtt("/a", Leg.CLIENT).count();
      Dom dom = new Dom(run("dom", "--dump-dom", url));
      long pongsAfter = s.gw.gateway().metrics().rtt("/a", Leg.CLIENT).count();

      assertThat(dom.attrOf("body", "data-loaded")).as("the page rendered status.json\n%s", dom.html).isEqualTo("1");
      assertThat(dom.textOf("id", "state")).isEqualTo("ready");
      assertThat(dom.textOf("id", "live-sessions")).isEqualTo("4");
      assertThat(dom.textOf("id", "reload")).startsWith("applied, ");
      assertThat(dom.textOf("id", "reloads")).isEqualTo("1 / 0");
      assertThat(dom.textOf("id", "version")).isEqualTo(dev.wsgate.cli.Version.current());

      // The routes table.
      assertThat(dom.number("data-route", "/a", "data-k", "live")).isEqualTo(3);
      assertThat(dom.number("data-route", "/b", "data-k", "live")).isEqualTo(1);
      assertThat(dom.number("data-route", "/a", "data-k", "opened", "data-w", "total")).isEqualTo(4);
      assertThat(dom.number("data-route", "/b", "data-k", "opened", "data-w", "total")).isEqualTo(2);
      assertThat(dom.number("data-route", "/a", "data-k", "closed", "data-w", "total")).isEqualTo(1);
      assertThat(dom.number("data-route", "/b", "data-k", "closed", "data-w", "total")).isEqualTo(1);
      assertThat(dom.number("data-route", "/b", "data-k", "evicted", "data-leg", "client", "data-w", "15m"))
          .isEqualTo(1);
      assertThat(dom.number("data-route", "/a", "data-k", "evicted", "data-leg", "client", "data-w", "15m"))
          .isZero();
      assertThat(dom.textOf("data-route", "/a", "data-k", "upstreams-up")).isEqualTo("1 / 2");
      assertThat(dom.textOf("data-route", "/a", "data-k", "balance")).isEqualTo("round-robin");
      assertThat(dom.textOf("data-route", "/b", "data-k", "balance")).isEqualTo("hash by query:room");
      // Windows against totals, as status.json tells them (exact while the history is younger than a window).
      JsonNode status = new ObjectMapper().readTree(AdminClient.get(s.adminPort(), "/status.json").body());
      for (JsonNode w : status.get("windows")) {
        String name = w.get("name").asText();
        assertThat(dom.number("data-route", "/a", "data-k", "opened", "data-w", name))
            .isEqualTo(StatusIT.route(status, "/a").at("/opened/" + name).asLong());
      }

      // Closes by reason, and evictions, per route.
      assertThat(dom.number("data-route", "/a", "data-k", "closed-by-reason", "data-w", "total",
          "data-reason", "client-close")).isEqualTo(1);
      assertThat(dom.number("data-route", "/b", "data-k", "closed-by-reason", "data-w", "total",
          "data-reason", "client-heartbeat")).isEqualTo(1);
      assertThat(dom.all("data-route", "/a", "data-k", "closed-by-reason", "data-w", "total"))
          .as("one reason on /a").hasSize(1);
      assertThat(dom.number("data-route", "/b", "data-k", "evictions", "data-w", "total", "data-leg", "client"))
          .isEqualTo(1);
      assertThat(dom.number("data-route", "/b", "data-k", "evictions", "data-w", "total", "data-leg", "upstream"))
          .isZero();

      // Upstream instances: health and sessions.
      String live = s.upstream.uri().toString();
      String dead = s.dead.toString();
      assertThat(dom.textOf("data-route", "/a", "data-upstream", live, "data-k", "state")).isEqualTo("up");
      assertThat(dom.number("data-route", "/a", "data-upstream", live, "data-k", "sessions")).isEqualTo(3);
      assertThat(dom.number("data-route", "/a", "data-upstream", live, "data-k", "connects",
          "data-outcome", "success")).isEqualTo(4);
      assertThat(dom.textOf("data-route", "/a", "data-upstream", dead, "data-k", "state")).isEqualTo("down");
      assertThat(dom.textOf("data-route", "/a", "data-upstream", dead, "data-k", "backoff"))
          .as("what is left of the 10 min back-off").matches("\\d+(m \\d\\d)?s");
      assertThat(dom.number("data-route", "/a", "data-upstream", dead, "data-k", "sessions")).isZero();
      assertThat(dom.number("data-route", "/a", "data-upstream", dead, "data-k", "connects",
          "data-outcome", "refused")).isEqualTo(1);
      assertThat(dom.number("data-route", "/b", "data-upstream", live, "data-k", "sessions")).isEqualTo(1);

      // Data is text: a route id that is markup shows as itself, and adds no element.
      assertThat(dom.textOf("data-route", StatusScenario.MARKUP_ROUTE, "data-k", "route"))
          .isEqualTo(StatusScenario.MARKUP_ROUTE);
      assertThat(dom.number("data-route", StatusScenario.MARKUP_ROUTE, "data-k", "live")).isZero();
      assertThat(dom.all("id", "injected")).isEmpty();
      assertThat(dom.html).doesNotContain("<b id=\"injected\"");

      // Heartbeat round trips per leg.
      assertThat(dom.number("data-route", "/a", "data-leg", "client", "data-k", "rtt-count"))
          .isBetween(pongsBefore, pongsAfter);
      assertThat(dom.textOf("data-route", "/a", "data-leg", "client", "data-k", "rtt-p99"))
          .matches("[0-9.]+ m?s");
      List<Dom.Element> bars = dom.all("data-route", "/a", "data-leg", "client", "data-k", "rtt-bucket-count");
      assertThat(bars).as("the distribution's rows").isNotEmpty();
      assertThat(bars.stream().mapToLong(e -> Long.parseLong(e.text())).sum()).as("round trips in the rows")
          .isEqualTo(dom.number("data-route", "/a", "data-leg", "client", "data-k", "rtt-count"));
      assertThat(dom.number("data-route", "/a", "data-leg", "upstream", "data-k", "rtt-count")).isZero();
      assertThat(dom.textOf("data-route", "/a", "data-leg", "upstream", "data-k", "rtt-p50")).isEqualTo("–");

      // The screenshot, a build artifact.
      Path png = dir.resolve("status-page.png");
      run("screenshot", "--screenshot=" + png, "--window-size=1280,1800", url);
      BufferedImage image = ImageIO.read(png.toFile());
      assertThat(image).as("a PNG at %s", png).isNotNull();
      assertThat(image.getWidth()).isEqualTo(1280);
      Files.createDirectories(SCREENSHOT.toAbsolutePath().getParent());
      Files.copy(png, SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
      System.out.println("[status page] screenshot kept at " + SCREENSHOT.toAbsolutePath());
    }
  }

  /** Runs headless Chromium on the page, no host but 127.0.0.1 resolving; returns what it printed. */
  private String run(String name, String... args) throws Exception {
    Path profile = Files.createDirectories(dir.resolve("profile-" + name));
    List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--hide-scrollbars", "--user-data-dir=" + profile,
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--virtual-time-budget=3000"));
    command.addAll(List.of(args));
    try (PeerProcess browser = PeerProcess.start("chromium", command, Map.of(), dir)) {
      int code = browser.awaitExit(BROWSER);
      assertThat(code).as("chromium's exit code\n%s", browser.transcript()).isZero();
      return String.join("\n", browser.stdout());
    }
  }

  /**
   * The elements of a dumped DOM that carry attributes, with the text right after their start tag: enough to read
   * the page's numbers, whose cells carry their coordinates as data attributes.
   */
  static final class Dom {
    private static final Pattern TAG = Pattern.compile("<([a-zA-Z0-9]+)((?:\\s+[a-zA-Z0-9-]+=\"[^\"]*\")*)\\s*>"
        + "([^<]*)");
    private static final Pattern ATTR = Pattern.compile("([a-zA-Z0-9-]+)=\"([^\"]*)\"");

    record Element(String tag, Map<String, String> attrs, String text) {
    }

    final String html;
    final List<Element> elements = new ArrayList<>();

    Dom(String html) {
      this.html = html;
      Matcher m = TAG.matcher(html);
      while (m.find()) {
        Map<String, String> attrs = new LinkedHashMap<>();
        Matcher a = ATTR.matcher(m.group(2));
        while (a.find()) {
          attrs.put(a.group(1), unescape(a.group(2)));
        }
        elements.add(new Element(m.group(1), attrs, unescape(m.group(3))));
      }
    }

    private static String unescape(String s) {
      return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&nbsp;", "\u00a0")
          .replace("&amp;", "&");
    }

    List<Element> all(String... attrs) {
      List<Element> out = new ArrayList<>();
      for (Element e : elements) {
        boolean match = true;
        for (int i = 0; i < attrs.length; i += 2) {
          match &= attrs[i + 1].equals(e.attrs.get(attrs[i]));
        }
        if (match) {
          out.add(e);
        }
      }
      return out;
    }

    Element one(String... attrs) {
      List<Element> found = all(attrs);
      assertThat(found).as("elements with %s in the page", List.of(attrs)).hasSize(1);
      return found.get(0);
    }

    String textOf(String... attrs) {
      return one(attrs).text.strip();
    }

    long number(String... attrs) {
      String t = textOf(attrs);
      assertThat(t).as("a number shown for %s", List.of(attrs)).matches("\\d+");
      return Long.parseLong(t);
    }

    String attrOf(String tag, String attr) {
      for (Element e : elements) {
        if (e.tag.equals(tag)) {
          return e.attrs.get(attr);
        }
      }
      throw new AssertionError("no <" + tag + "> in the page");
    }
  }
}
