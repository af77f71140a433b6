package dev.wsgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Text and JSON logging quiet the same loggers at the same levels: the format is the only difference. The access
 * log's fields are its events' key-value pairs, which each format writes (how exactly: {@code AccessLogTest}).
 */
class LogConfigTest {

  @Test
  void textAndJsonLoggingSetTheSameLoggerLevels() throws Exception {
    Map<String, String> text = loggers("/logback.xml");
    Map<String, String> json = loggers("/dev/wsgate/logback-json.xml");
    assertThat(json).isEqualTo(text);
    assertThat(text).containsEntry("reactor.netty.http.client.HttpClientConnect", "ERROR")
        .containsEntry("reactor.netty.http.server.HttpServerOperations", "ERROR")
        .containsEntry("wsgate.access", "INFO");
  }

  @Test
  void textLoggingWritesTheAccessLogsPairsAsLogfmt() throws Exception {
    Element config = config("/logback.xml");
    Element rule = only(config, "conversionRule");
    assertThat(rule.getAttribute("conversionWord")).isEqualTo("logfmt");
    assertThat(rule.getAttribute("class")).isEqualTo(LogfmtConverter.class.getName());
    assertThat(text(only(appender(config, "ACCESS"), "pattern")))
        .isEqualTo("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} ACCESS %logfmt%n");
  }

  @Test
  void jsonLoggingWritesTheAccessLogsPairsAsFieldsAndItsMessage() throws Exception {
    Element encoder = only(appender(config("/dev/wsgate/logback-json.xml"), "ACCESS"), "encoder");
    assertThat(encoder.getAttribute("class")).isEqualTo("ch.qos.logback.classic.encoder.JsonEncoder");
    assertThat(text(only(encoder, "withKVPList"))).isEqualTo("true");
    assertThat(text(only(encoder, "withFormattedMessage"))).isEqualTo("true");
    assertThat(text(only(encoder, "withMessage"))).isEqualTo("false");
    assertThat(text(only(encoder, "withArguments"))).isEqualTo("false");
  }

  private static Element config(String resource) throws Exception {
    try (InputStream in = LogConfigTest.class.getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in).getDocumentElement();
    }
  }

  private static Element appender(Element config, String name) {
    NodeList nodes = config.getElementsByTagName("appender");
    for (int i = 0; i < nodes.getLength(); i++) {
      Element e = (Element) nodes.item(i);
      if (e.getAttribute("name").equals(name)) {
        return e;
      }
    }
    throw new AssertionError("no appender " + name);
  }

  private static Element only(Element parent, String tag) {
    NodeList nodes = parent.getElementsByTagName(tag);
    assertThat(nodes.getLength()).as(tag).isEqualTo(1);
    return (Element) nodes.item(0);
  }

  private static String text(Element e) {
    return e.getTextContent().trim();
  }

  private static Map<String, String> loggers(String resource) throws Exception {
    try (InputStream in = LogConfigTest.class.getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      NodeList nodes = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in)
          .getElementsByTagName("logger");
      Map<String, String> levels = new LinkedHashMap<>();
      for (int i = 0; i < nodes.getLength(); i++) {
        Element e = (Element) nodes.item(i);
        levels.put(e.getAttribute("name"), e.getAttribute("level"));
      }
      return levels;
    }
  }
}
