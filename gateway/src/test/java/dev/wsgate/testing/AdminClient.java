package dev.wsgate.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Requests to a test gateway's admin listener, and reading Prometheus samples. */
public final class AdminClient {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private AdminClient() {
  }

  public static HttpResponse<String> get(TestGateway gw, String path) throws Exception {
    return get(gw.gateway().adminAddress().getPort(), path);
  }

  public static HttpResponse<String> get(int adminPort, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + adminPort + path);
    return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The {@code client} of each live session in {@code /sessions}, oldest first, once {@code live} sessions are (a
   * client may read its {@code 101} before its session is registered).
   */
  public static java.util.List<String> sessionClients(TestGateway gw, int live) throws Exception {
    gw.awaitSessions(live, Duration.ofSeconds(10));
    com.fasterxml.jackson.databind.JsonNode sessions = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(get(gw, "/sessions").body()).get("sessions");
    java.util.List<String> out = new java.util.ArrayList<>();
    sessions.forEach(s -> out.add(s.get("client").asText()));
    return out;
  }

  /** The value of one sample of {@code /metrics} now. */
  public static double sample(TestGateway gw, String nameAndLabels) throws Exception {
    return sample(get(gw, "/metrics").body(), nameAndLabels);
  }

  /** The value of one sample line, such as {@code wsgate_frames_total{direction="client_to_upstream"}}. */
  public static double sample(String scrape, String nameAndLabels) {
    for (String line : scrape.lines().toList()) {
      if (line.startsWith(nameAndLabels + " ")) {
        return Double.parseDouble(line.substring(nameAndLabels.length() + 1).strip());
      }
    }
    throw new AssertionError("no sample " + nameAndLabels + " in:\n" + scrape);
  }
}
