package dev.wsgate.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.reader.ReaderException;

/**
 * Turns a file into one YAML node tree, safely: bounded size, strict UTF-8, at most {@value #MAX_ALIASES} aliases
 * (no YAML bombs), at most {@value #MAX_DEPTH} levels of nesting, exactly one document. Every failure is one
 * {@link ConfigError} with a line and column; nothing here can hang or exhaust memory.
 */
final class YamlDocument {

  /** The largest configuration file accepted: 1 MiB. A real one is a few kilobytes. */
  static final int MAX_BYTES = 1 << 20;
  /** Aliases allowed in one file; enough for sharing blocks, far too few for a billion laughs. */
  static final int MAX_ALIASES = 50;
  /** Nesting levels allowed; wsgate's own schema needs six. */
  static final int MAX_DEPTH = 50;

  private YamlDocument() {
  }

  /** Reads a configuration file as UTF-8 text. */
  static String read(Path file, String source) throws ConfigException {
    if (Files.isDirectory(file)) {
      throw single(source, "is a directory (expected: a YAML file)");
    }
    if (Files.exists(file) && !Files.isRegularFile(file)) {
      throw single(source, "is not a regular file (expected: a YAML file)");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw single(source, "no such file");
    } catch (AccessDeniedException e) {
      throw single(source, "permission denied");
    } catch (IOException e) {
      throw single(source, "cannot be read: " + e.getMessage());
    }
    if (bytes.length > MAX_BYTES) {
      long size;
      try {
        size = Files.size(file);
      } catch (IOException e) {
        size = -1;
      }
      String actual = size > 0 ? String.format(Locale.ROOT, "%.1f MiB", size / 1048576.0) : "more than 1 MiB";
      throw single(source, "file is " + actual + " (expected: at most 1 MiB; is this the configuration file?)");
    }
    return decode(bytes, source);
  }

  static String decode(byte[] bytes, String source) throws ConfigException {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return decoder.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (MalformedInputException e) {
      int offset = firstInvalidByte(bytes);
      int[] lc = lineColumnOfByte(bytes, offset);
      throw new ConfigException(List.of(new ConfigError(source, lc[0], lc[1], "",
          String.format(Locale.ROOT, "byte 0x%02x at offset %d is not UTF-8 (expected: a UTF-8 text file; is this "
              + "a binary file?)", bytes[offset] & 0xff, offset))));
    } catch (CharacterCodingException e) {
      throw single(source, "is not UTF-8 text (expected: a UTF-8 text file)");
    }
  }

  /** Parses YAML text into one node tree. */
  static Node compose(String text, String source) throws ConfigException {
    if (text.isBlank() || isOnlyComments(text)) {
      throw single(source, "file is empty (expected: a YAML mapping with at least routes:)");
    }
    Yaml yaml = new Yaml(loaderOptions());
    checkStructure(yaml, text, source);
    try {
      Iterator<Node> documents = yaml.composeAll(new StringReader(text)).iterator();
      Node first = documents.hasNext() ? documents.next() : null;
      if (first == null) {
        throw single(source, "file is empty (expected: a YAML mapping with at least routes:)");
      }
      return first;
    } catch (YAMLException e) {
      throw parseError(source, text, e);
    }
  }

  /**
   * One pass over the parser's events, before anything is composed: syntax errors, aliases, nesting depth and the
   * number of documents, each located.
   */
  private static void checkStructure(Yaml yaml, String text, String source) throws ConfigException {
    int aliases = 0;
    int depth = 0;
    int documents = 0;
    try {
      for (Event event : yaml.parse(new StringReader(text))) {
        if (event instanceof AliasEvent) {
          aliases++;
          if (aliases > MAX_ALIASES) {
            throw at(source, event.getStartMark(), "more than " + MAX_ALIASES + " aliases (expected: at most "
                + MAX_ALIASES + "; a YAML bomb is refused)");
          }
        } else if (event instanceof CollectionStartEvent) {
          depth++;
          if (depth > MAX_DEPTH) {
            throw at(source, event.getStartMark(), "more than " + MAX_DEPTH + " levels of nesting (expected: at most "
                + MAX_DEPTH + ")");
          }
        } else if (event instanceof CollectionEndEvent) {
          depth--;
        } else if (event instanceof DocumentStartEvent) {
          documents++;
          if (documents > 1) {
            throw at(source, event.getStartMark(), "a second YAML document (expected: one document; remove the "
                + "second ---)");
          }
        }
      }
    } catch (YAMLException e) {
      throw parseError(source, text, e);
    }
  }

  private static LoaderOptions loaderOptions() {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setNestingDepthLimit(MAX_DEPTH);
    options.setCodePointLimit(MAX_BYTES + 1);
    options.setAllowRecursiveKeys(false);
    // Duplicates are reported by YamlMapping, with the line of both occurrences.
    options.setAllowDuplicateKeys(true);
    options.setProcessComments(false);
    return options;
  }

  /** What the parser refused, as one message located in the file where the parser says where. */
  private static ConfigException parseError(String source, String text, YAMLException e) {
    if (e instanceof MarkedYAMLException marked) {
      return syntaxError(source, marked);
    }
    if (e instanceof ReaderException reader) {
      return readerError(source, text, reader);
    }
    return single(source, "YAML error: " + e.getMessage());
  }

  private static ConfigException syntaxError(String source, MarkedYAMLException e) {
    Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
    StringBuilder message = new StringBuilder("YAML syntax error: ").append(e.getProblem());
    if (e.getContext() != null) {
      Mark ctx = e.getContextMark();
      message.append(" (").append(e.getContext());
      if (ctx != null && mark != null && ctx.getLine() != mark.getLine()) {
        message.append(" at line ").append(ctx.getLine() + 1);
      }
      message.append(')');
    }
    int line = mark == null ? 1 : mark.getLine() + 1;
    int column = mark == null ? 1 : mark.getColumn() + 1;
    return new ConfigException(List.of(new ConfigError(source, line, column, "", message.toString())));
  }

  private static ConfigException readerError(String source, String text, ReaderException e) {
    int position = Math.min(Math.max(e.getPosition(), 0), text.length());
    int line = 1;
    int column = 1;
    for (int i = 0; i < position; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
    }
    return new ConfigException(List.of(new ConfigError(source, line, column, "",
        String.format(Locale.ROOT, "character U+%04X is not allowed in YAML (expected: printable text; is this a "
            + "binary file?)", e.getCodePoint()))));
  }

  private static ConfigException at(String source, Mark mark, String message) {
    return new ConfigException(List.of(new ConfigError(source, mark.getLine() + 1, mark.getColumn() + 1, "",
        message)));
  }

  private static ConfigException single(String source, String message) {
    return new ConfigException(List.of(new ConfigError(source, 1, 1, "", message)));
  }

  private static boolean isOnlyComments(String text) {
    return text.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("#") || l.equals("---")
        || l.equals("..."));
  }

  private static int firstInvalidByte(byte[] bytes) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
    decoder.decode(in, out, true);
    return Math.min(in.position(), bytes.length - 1);
  }

  private static int[] lineColumnOfByte(byte[] bytes, int offset) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < offset; i++) {
      if (bytes[i] == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    int column = new String(bytes, lineStart, offset - lineStart, StandardCharsets.UTF_8).length() + 1;
    return new int[] {line, column};
  }
}
