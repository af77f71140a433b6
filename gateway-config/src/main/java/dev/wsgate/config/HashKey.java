package dev.wsgate.config;

import java.util.Objects;

/**
 * What {@code balance: hash} hashes to pick an upstream ({@code routes[].hash-key}): a request header, a cookie or a
 * query parameter by name, or the client's address.
 *
 * @param source where the key is read from
 * @param name   the header, cookie or parameter name as written; empty for {@link Source#CLIENT_ADDRESS}
 */
public record HashKey(Source source, String name) {

  /** Where a hash key is read from, by its prefix in YAML. */
  public enum Source {
    /** The first value of a request header ({@code header:NAME}). */
    HEADER("header"),
    /** A cookie of the {@code Cookie} header(s) ({@code cookie:NAME}). */
    COOKIE("cookie"),
    /** A query parameter of the request target, percent-decoded ({@code query:NAME}). */
    QUERY("query"),
    /** The client's address, as the access log gives it, without the port ({@code client-address}). */
    CLIENT_ADDRESS("client-address");

    private final String prefix;

    Source(String prefix) {
      this.prefix = prefix;
    }

    public String prefix() {
      return prefix;
    }
  }

  public HashKey {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(name, "name");
  }

  /** As written in YAML: {@code header:X-User}, {@code client-address}. */
  @Override
  public String toString() {
    return source == Source.CLIENT_ADDRESS ? source.prefix() : source.prefix() + ":" + name;
  }
}
