package dev.wsgate.config;

import java.util.Objects;
import java.util.function.Function;

/**
 * One configuration key, declared once in {@link Schema}: its name inside its section ({@code max-connections},
 * or {@code tls.cert} inside a nested mapping), how it is read and written ({@link Type}: parser and rule), its
 * default, its one-line documentation, and where the bound value lives in the configuration records. Unknown-key
 * detection, binding, the effective configuration that {@code check-config} prints and the README's tables all come
 * from these declarations.
 *
 * @param <R> the record that holds the key's value
 * @param <T> the value's type
 */
final class Key<R, T> {
  private final String name;
  private final Type<T> type;
  private final T defaultValue;
  private final String missing;
  private final String defaultDoc;
  private final String doc;
  private final Function<R, T> get;
  private final Function<T, String> note;

  private Key(String name, Type<T> type, T defaultValue, String missing, String defaultDoc, String doc,
      Function<R, T> get, Function<T, String> note) {
    this.name = name;
    this.type = type;
    this.defaultValue = defaultValue;
    this.missing = missing;
    this.defaultDoc = defaultDoc;
    this.doc = doc;
    this.get = get;
    this.note = note;
  }

  /** A key with a default. */
  static <R, T> Key<R, T> of(String name, Type<T> type, T defaultValue, Function<R, T> get, String doc) {
    Objects.requireNonNull(defaultValue, name);
    return new Key<>(name, type, defaultValue, null, null, doc, get, v -> null);
  }

  /**
   * A key the section cannot do without: its absence is the error {@code missing NAME (expected: EXPECTED)},
   * reported at the section.
   */
  static <R, T> Key<R, T> required(String name, Type<T> type, String expected, Function<R, T> get, String doc) {
    return new Key<>(name, type, null, expected, "required", doc, get, v -> null);
  }

  /** The same key, its default written in the README as {@code text} instead of the default's YAML form. */
  Key<R, T> defaultDoc(String text) {
    return new Key<>(name, type, defaultValue, missing, text, doc, get, note);
  }

  /** The same key, with a comment on some values in the effective configuration (null for none). */
  Key<R, T> note(Function<T, String> comment) {
    return new Key<>(name, type, defaultValue, missing, defaultDoc, doc, get, comment);
  }

  String name() {
    return name;
  }

  /** The first segment of the name: the key the section's own mapping holds. */
  String head() {
    int dot = name.indexOf('.');
    return dot < 0 ? name : name.substring(0, dot);
  }

  /** The name inside its nested mapping, or the name itself. */
  String tail() {
    return name.substring(name.lastIndexOf('.') + 1);
  }

  Type<T> type() {
    return type;
  }

  /** The default, or null for a required key and for keys that are absent unless set. */
  T defaultValue() {
    return defaultValue;
  }

  boolean isRequired() {
    return missing != null;
  }

  /** What a required key's absence expects. */
  String missing() {
    return missing;
  }

  String doc() {
    return doc;
  }

  /** The default as the README gives it. */
  String defaultDoc() {
    if (defaultDoc != null) {
      return defaultDoc;
    }
    Object written = type.write(defaultValue);
    return written == null ? "none" : "`" + Type.flow(written) + "`";
  }

  /** The key's value in a bound record. */
  T get(R record) {
    return get.apply(record);
  }

  String note(T value) {
    return note.apply(value);
  }

  @Override
  public String toString() {
    return name;
  }
}
