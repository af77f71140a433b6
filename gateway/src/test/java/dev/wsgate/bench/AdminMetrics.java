package dev.wsgate.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of wsgate's admin {@code /metrics} (Prometheus text), and sums over its samples. */
final class AdminMetrics {

  record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final List<Sample> samples;

  private AdminMetrics(List<Sample> samples) {
    this.samples = samples;
  }

  static AdminMetrics scrape(int adminPort) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
        .timeout(Duration.ofSeconds(20)).build();
    HttpResponse<String> res = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    if (res.statusCode() != 200) {
      throw new IOException("/metrics answered " + res.statusCode());
    }
    return parse(res.body());
  }

  static AdminMetrics parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name = brace >= 0 && brace < space ? line.substring(0, brace) : line.substring(0, space);
      Map<String, String> labels = new HashMap<>();
      if (brace >= 0 && brace < space) {
        Matcher m = LABEL.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) {
          labels.put(m.group(1), m.group(2));
        }
      }
      samples.add(new Sample(name.strip(), labels, number(line.substring(space + 1).strip())));
    }
    return new AdminMetrics(samples);
  }

  private static double number(String v) {
    return switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(v);
    };
  }

  boolean has(String name) {
    return samples.stream().anyMatch(s -> s.name.equals(name));
  }

  /** The sum of a metric over all its labels; 0 when absent. */
  double sum(String name) {
    return samples.stream().filter(s -> s.name.equals(name)).mapToDouble(Sample::value).sum();
  }

  /** The sum of a metric over the samples whose {@code label} is {@code value}. */
  double sum(String name, String label, String value) {
    return samples.stream().filter(s -> s.name.equals(name) && value.equals(s.labels.get(label)))
        .mapToDouble(Sample::value).sum();
  }

  /** A metric summed by the given labels (joined with a space), over all other labels. */
  Map<String, Double> by(String name, String... labels) {
    Map<String, Double> m = new TreeMap<>();
    for (Sample s : samples) {
      if (s.name.equals(name)) {
        List<String> key = new ArrayList<>();
        for (String l : labels) {
          key.add(s.labels.getOrDefault(l, "-"));
        }
        m.merge(String.join(" ", key), s.value, Double::sum);
      }
    }
    return m;
  }
}
