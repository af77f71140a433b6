package dev.wsgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Text and JSON logging quiet the same loggers at the same levels: the format is the only difference. */
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
