package dev.wsgate.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The status page is one self-contained file, and its CSP admits exactly its own inline script and style. */
class StatusPageTest {

  @Test
  void nothingIsLoadedFromAnywhereElse() {
    String html = StatusPage.HTML;
    Matcher m = Pattern.compile("(?i)\\b(src|href|action|srcset|poster|data)\\s*=").matcher(html);
    assertThat(m.find()).as("an attribute loading something: %s", m.find() ? m.group() : "").isFalse();
    assertThat(html).doesNotContainIgnoringCase("http://").doesNotContainIgnoringCase("https://")
        .doesNotContain("//cdn").doesNotContainIgnoringCase("@import").doesNotContainIgnoringCase("url(");
    assertThat(html).as("one script, inline").containsOnlyOnce("<script>").doesNotContain("<script src");
    assertThat(html).as("the one fetch is relative, to the admin listener itself")
        .containsOnlyOnce("fetch(").contains("fetch('status.json'");
  }

  @Test
  void dataNeverBecomesMarkup() {
    assertThat(StatusPage.HTML).doesNotContain("innerHTML").doesNotContain("outerHTML")
        .doesNotContain("insertAdjacentHTML").doesNotContain("document.write").doesNotContain("eval(")
        .doesNotContain("new Function");
  }

  @Test
  void policyHashesThePagesOwnScriptAndStyle() {
    String csp = StatusPage.CSP;
    assertThat(csp).startsWith("default-src 'none'; connect-src 'self'; script-src 'sha256-")
        .contains("frame-ancestors 'none'").doesNotContain("unsafe");
    assertThat(csp).contains("script-src " + StatusPage.hash(StatusPage.HTML, "script") + ";")
        .contains("style-src " + StatusPage.hash(StatusPage.HTML, "style") + ";");
    // A known value: sha256 of "alert(1)".
    assertThat(StatusPage.hash("<script>alert(1)</script>", "script"))
        .isEqualTo("'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='");
  }
}
