package dev.wsgate.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One route ({@code routes[i]}): which requests it takes, where it sends them, and how it keeps them alive.
 *
 * @param path      the path prefix it matches, from {@code /}; the longest matching prefix wins
 * @param host      the {@code Host} it matches (exact, or {@code *.example.com}), or any host when empty
 * @param upstreams one or more {@code ws://} or {@code wss://} URIs
 * @param balance   how an upstream is chosen for a new session
 * @param hashKey   what {@code balance: hash} hashes; present exactly when the balance is {@link Balance#HASH}
 * @param headers   request headers passed on or added
 * @param heartbeat the effective heartbeat of each leg
 * @param maxIdle   a session with no application data either way for this long is closed; {@code 0} disables it
 * @param forwardPings true to relay ping and pong frames between the legs instead of answering them hop by hop
 * @param maxSessionAge a session is closed (1001) once this old; {@code 0} disables it
 * @param maxSessionAgeJitter each session's age limit is drawn between {@code maxSessionAge - jitter} and
 *                  {@code maxSessionAge}, so that sessions opened together do not all close together
 * @param compression permessage-deflate on each leg
 * @param maxMessageSize the largest message either peer may send, its frames added up as relayed; {@code 0}: none
 * @param rateLimit the rate limit of what each peer sends, per session
 */
public record RouteConfig(
    String path,
    Optional<String> host,
    List<URI> upstreams,
    Balance balance,
    Optional<HashKey> hashKey,
    HeaderRules headers,
    Heartbeats heartbeat,
    Duration maxIdle,
    boolean forwardPings,
    Duration maxSessionAge,
    Duration maxSessionAgeJitter,
    Compressions compression,
    int maxMessageSize,
    RateLimits rateLimit) {

  public RouteConfig {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(host, "host");
    upstreams = List.copyOf(upstreams);
    Objects.requireNonNull(balance, "balance");
    Objects.requireNonNull(hashKey, "hashKey");
    if (hashKey.isPresent() != (balance == Balance.HASH)) {
      throw new IllegalArgumentException("a hash-key goes with balance: hash, and only with it");
    }
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(heartbeat, "heartbeat");
    Objects.requireNonNull(maxIdle, "maxIdle");
    Objects.requireNonNull(maxSessionAge, "maxSessionAge");
    Objects.requireNonNull(maxSessionAgeJitter, "maxSessionAgeJitter");
    Objects.requireNonNull(compression, "compression");
    Objects.requireNonNull(rateLimit, "rateLimit");
  }

  /** A route without a message size limit or rate limits. */
  public RouteConfig(String path, Optional<String> host, List<URI> upstreams, Balance balance,
      Optional<HashKey> hashKey, HeaderRules headers, Heartbeats heartbeat, Duration maxIdle, boolean forwardPings,
      Duration maxSessionAge, Duration maxSessionAgeJitter, Compressions compression) {
    this(path, host, upstreams, balance, hashKey, headers, heartbeat, maxIdle, forwardPings, maxSessionAge,
        maxSessionAgeJitter, compression, 0, RateLimits.NONE);
  }

  /** A short name for logs and metrics: {@code host/path}, or the path alone when any host matches. */
  public String id() {
    return host.map(h -> h + path).orElse(path);
  }
}
