package dev.wsgate.config;

/**
 * The README's configuration tables, made from the {@link Schema}: one table per section, one row per key (name,
 * default, meaning). {@code ConfigReferenceTest} fails when the README's tables differ from these, and rewrites them
 * when asked to ({@code -Dwsgate.write-readme}).
 */
final class ConfigReference {
  private ConfigReference() {
  }

  /** The Markdown table of a section. */
  static String table(Section<?> section) {
    StringBuilder out = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
    for (Object e : section.entries()) {
      if (e instanceof Key<?, ?> k) {
        row(out, k.name(), k.defaultDoc(), k.doc());
      } else if (e instanceof Section.Nested n && n.doc() != null) {
        row(out, n.name(), n.defaultDoc(), n.doc());
      }
    }
    return out.toString();
  }

  private static void row(StringBuilder out, String name, String defaultDoc, String doc) {
    out.append("| `").append(name).append("` | ").append(defaultDoc).append(" | ").append(doc).append(" |\n");
  }
}
