package dev.wsgate.heartbeat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A text heartbeat message, such as {@code {"type":"ping"}}. A JSON object template matches any JSON object that has
 * all of its fields with the same values (so {@code {"type":"pong","timestamp":17}} matches {@code {"type":"pong"}});
 * any other template matches only itself.
 */
final class TextTemplate {

  /** Heartbeat messages are small; longer text is application data and is not even looked at. */
  static final int MAX_LENGTH = 4096;

  /** Numbers stay as written: an echoed timestamp comes back digit for digit, not through a double. */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();

  private final String text;
  private final ObjectNode object;
  private final List<String> needles = new ArrayList<>();

  TextTemplate(String text) {
    this.text = text;
    this.object = parseObject(text);
    if (object != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        JsonNode v = it.next().getValue();
        if (v.isTextual()) {
          needles.add(v.asText());
        }
      }
    }
  }

  String text() {
    return text;
  }

  boolean matches(String message) {
    if (object == null) {
      return message.equals(text);
    }
    ObjectNode m = candidate(message);
    return m != null && containsAll(m);
  }

  /**
   * The answer to {@code message}, a match of this (ping) template: {@code pong}, and, for JSON templates, the
   * message's other fields echoed ({@code {"type":"ping","timestamp":T}} gets {@code {"type":"pong","timestamp":T}}).
   */
  String answer(String message, TextTemplate pong) {
    if (object == null || pong.object == null) {
      return pong.text;
    }
    ObjectNode m = candidate(message);
    if (m == null) {
      return pong.text;
    }
    ObjectNode reply = pong.object.deepCopy();
    m.fields().forEachRemaining(e -> {
      if (!object.has(e.getKey()) && !reply.has(e.getKey())) {
        reply.set(e.getKey(), e.getValue());
      }
    });
    return reply.toString();
  }

  private ObjectNode candidate(String message) {
    if (message.length() > MAX_LENGTH) {
      return null;
    }
    for (String needle : needles) {
      if (!message.contains(needle)) {
        return null; // cheap refusal before any parsing
      }
    }
    return parseObject(message);
  }

  private boolean containsAll(ObjectNode m) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().equals(m.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static ObjectNode parseObject(String s) {
    String t = s.strip();
    if (!t.startsWith("{")) {
      return null;
    }
    try {
      JsonNode n = JSON.readTree(t);
      return n instanceof ObjectNode ? (ObjectNode) n : null;
    } catch (JsonProcessingException e) {
      return null;
    }
  }
}
