package dev.wsgate.session;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.wsgate.config.Leg;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The access event of a session through wsgate's real logging configurations: logfmt with text logging
 * ({@code logback.xml}), one field per key-value pair with JSON logging ({@code logback-json.xml}).
 */
class AccessLogTest {

  private static final DateTimeFormatter PATTERN_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());

  @Test
  void aClosedSessionInTextAndInJson() throws Exception {
    Session s = session("req-1", "/chat room", "chat");
    s.countFromClient(1, 5);
    s.countFromClient(1, 6);
    s.countFromUpstream(1, 3);
    s.recordEnd(Session.EndCause.CLIENT_CLOSE, 4000, "say \"bye\" \\ now, \u00e9");
    long duration = Duration.ofNanos(s.closedAtNanos() - s.openedAtNanos()).toMillis();
    ILoggingEvent e = event(s);
    assertThat(e.getFormattedMessage()).isEqualTo("session end");

    assertThat(render("/logback.xml", e)).isEqualTo(date(e) + " ACCESS request_id=req-1 session=7 "
        + "client=127.0.0.1:53422 client_protocol=http/1.1 route=\"/chat room\" upstream=ws://chat-1:8000 "
        + "subprotocol=chat duration_ms=" + duration + " frames_in=2 bytes_in=11 frames_out=1 bytes_out=3 "
        + "close_code=4000 closed_by=client "
        + "end=client-close close_reason=\"say \\\"bye\\\" \\\\ now, \u00e9\"" + System.lineSeparator());

    String json = render("/dev/wsgate/logback-json.xml", e);
    assertThat(json).isEqualTo("{\"timestamp\":" + e.getTimeStamp() + ",\"level\":\"INFO\",\"threadName\":\""
        + e.getThreadName() + "\",\"loggerName\":\"wsgate.access\",\"mdc\": {},\"kvpList\": ["
        + "{\"request_id\":\"req-1\"},{\"session\":\"7\"},{\"client\":\"127.0.0.1:53422\"},"
        + "{\"client_protocol\":\"http\\/1.1\"},{\"route\":\"\\/chat room\"},"
        + "{\"upstream\":\"ws:\\/\\/chat-1:8000\"},{\"subprotocol\":\"chat\"},"
        + "{\"duration_ms\":\"" + duration + "\"},{\"frames_in\":\"2\"},{\"bytes_in\":\"11\"},"
        + "{\"frames_out\":\"1\"},{\"bytes_out\":\"3\"},{\"close_code\":\"4000\"},{\"closed_by\":\"client\"},"
        + "{\"end\":\"client-close\"},{\"close_reason\":\"say \\\"bye\\\" \\\\ now, \u00e9\"}],"
        + "\"formattedMessage\":\"session end\",\"throwable\":null}\n");
    // The same, read as JSON: each field an object of its own in kvpList; the encoder writes every value as a string.
    JsonNode node = new ObjectMapper().readTree(json);
    assertThat(node.get("formattedMessage").asText()).isEqualTo(AccessLog.MESSAGE);
    List<String> fields = new ArrayList<>();
    node.get("kvpList").forEach(pair -> pair.fieldNames().forEachRemaining(fields::add));
    assertThat(fields).containsExactly("request_id", "session", "client", "client_protocol", "route", "upstream",
        "subprotocol", "duration_ms", "frames_in", "bytes_in", "frames_out", "bytes_out", "close_code", "closed_by",
        "end", "close_reason");
    assertThat(node.get("kvpList").get(7).get("duration_ms").asText()).isEqualTo(Long.toString(duration));
    assertThat(node.get("kvpList").get(15).get("close_reason").asText()).isEqualTo(s.closeReason());
  }

  @Test
  void aSessionWithoutSubprotocolEndOrReasonHasDashesAndNoCloseReason() throws Exception {
    Session s = session("4f1c0a", "/", null);
    ILoggingEvent e = event(s);
    String duration = value(e, "duration_ms");
    assertThat(Long.parseLong(duration)).isNotNegative();

    assertThat(render("/logback.xml", e)).isEqualTo(date(e) + " ACCESS request_id=4f1c0a session=7 "
        + "client=127.0.0.1:53422 client_protocol=http/1.1 route=/ upstream=ws://chat-1:8000 subprotocol=- duration_ms="
        + duration
        + " frames_in=0 bytes_in=0 frames_out=0 bytes_out=0 close_code=0 closed_by=- end=-" + System.lineSeparator());
    assertThat(render("/dev/wsgate/logback-json.xml", e)).contains("\"kvpList\": [{\"request_id\":\"4f1c0a\"},"
        + "{\"session\":\"7\"},{\"client\":\"127.0.0.1:53422\"},{\"client_protocol\":\"http\\/1.1\"},"
        + "{\"route\":\"\\/\"},"
        + "{\"upstream\":\"ws:\\/\\/chat-1:8000\"},{\"subprotocol\":\"-\"},{\"duration_ms\":\"" + duration + "\"},"
        + "{\"frames_in\":\"0\"},{\"bytes_in\":\"0\"},{\"frames_out\":\"0\"},{\"bytes_out\":\"0\"},"
        + "{\"close_code\":\"0\"},{\"closed_by\":\"-\"},{\"end\":\"-\"}],\"formattedMessage\":\"session end\",");
  }

  @Test
  void nothingIsLoggedWhenTheAccessLoggerIsOff() {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.setContext(context);
    events.start();
    ch.qos.logback.classic.Logger logger = context.getLogger(AccessLog.LOGGER);
    logger.addAppender(events);
    logger.setLevel(Level.WARN);
    AccessLog.log(logger, session("r", "/", null));
    context.stop();
    assertThat(events.list).isEmpty();
  }

  private static String date(ILoggingEvent e) {
    return PATTERN_DATE.format(Instant.ofEpochMilli(e.getTimeStamp()));
  }

  private static String value(ILoggingEvent e, String key) {
    return e.getKeyValuePairs().stream().filter(p -> p.key.equals(key)).findFirst().orElseThrow().value.toString();
  }

  private static Session session(String requestId, String route, String subprotocol) {
    return new Session(7, requestId, route, URI.create("ws://chat-1:8000"), "127.0.0.1:53422", subprotocol) {
      @Override
      public LegStatus leg(Leg leg) {
        return new LegStatus(0, 0, -1, -1, 0, 0);
      }

      @Override
      public void close(EndCause cause, int code, String reason) {
      }
    };
  }

  /** The event AccessLog logs for a session. */
  private static ILoggingEvent event(Session s) {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.setContext(context);
    events.start();
    ch.qos.logback.classic.Logger logger = context.getLogger(AccessLog.LOGGER);
    logger.addAppender(events);
    AccessLog.log(logger, s);
    context.stop();
    assertThat(events.list).hasSize(1);
    return events.list.get(0);
  }

  /** An event as the access log's appender of a logging configuration writes it. */
  @SuppressWarnings("unchecked")
  private static String render(String config, ILoggingEvent event) throws Exception {
    LoggerContext context = new LoggerContext();
    try {
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(AccessLogTest.class.getResource(config));
      AsyncAppender async = (AsyncAppender) context.getLogger(AccessLog.LOGGER).getAppender("ASYNC_ACCESS");
      Encoder<ILoggingEvent> encoder = ((OutputStreamAppender<ILoggingEvent>) async.getAppender("ACCESS")).getEncoder();
      return new String(encoder.encode(event), StandardCharsets.UTF_8);
    } finally {
      context.stop();
    }
  }
}
