package dev.wsgate.config;

import static dev.wsgate.config.Values.DurationRule.POSITIVE;
import static dev.wsgate.config.Values.DurationRule.ZERO_OR_MORE;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every key of wsgate's configuration, each declared once: name, type and rule, default, and what it means. A new
 * key is one declaration here, the code that uses it, and the README row that {@code ConfigReferenceTest} demands.
 * Rules across keys are checks of their own ({@link ListenAdminCheck}, {@link DrainWindowCheck},
 * {@link SessionAgeJitterCheck}, {@link HashKeyCheck}, {@link HeartbeatBudgetCheck}, {@link RoutesCheck},
 * {@link TlsFilesCheck}).
 */
final class Schema {
  private Schema() {
  }

  // ------------------------------------------------------------------------------------------------------ server

  static final Key<ServerConfig, ListenAddress> LISTEN = Key.of("listen", Types.listenAddress(),
      new ListenAddress("0.0.0.0", 8080), ServerConfig::listen,
      "where clients connect: `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (every interface); port 0 picks a free port");
  static final Key<ServerConfig, ListenAddress> ADMIN = Key.of("admin", Types.listenAddress(),
      new ListenAddress("127.0.0.1", 9090), ServerConfig::admin,
      "health and metrics, apart from traffic; may not share `listen`'s port. Loopback by default, so that they are "
          + "not exposed by accident");
  /** The most {@code server.max-connections} may be: 1,000,000 sessions. */
  static final int MAX_CONNECTIONS_LIMIT = 1_000_000;
  static final Key<ServerConfig, Integer> MAX_CONNECTIONS = Key.of("max-connections",
      Types.integer(0, MAX_CONNECTIONS_LIMIT, "a whole number from 0 to " + MAX_CONNECTIONS_LIMIT
          + ", 0 for no limit"), 10_000, ServerConfig::maxConnections,
      "client connections at once, counted from accept until everything the connection took is released (its "
          + "session finished, or its refusal sent); past it, a request gets 503. `0` = no limit. Each session "
          + "holds two sockets")
      .note(n -> n == 0 ? "no limit" : null);
  static final Key<ServerConfig, Integer> MAX_CONNECTIONS_PER_ADDRESS = Key.of("max-connections-per-address",
      Types.integer(0, MAX_CONNECTIONS_LIMIT, "a whole number from 0 to " + MAX_CONNECTIONS_LIMIT
          + ", 0 for no limit"), 0, ServerConfig::maxConnectionsPerAddress,
      "client connections at once from one client address (the one `proxy-protocol` and `trusted-proxies` give, "
          + "as logged), counted as `max-connections` counts them, HTTP/2 streams each; past it, a request gets 429 "
          + "with `Retry-After: 5` before anything is sent upstream. `0` = no limit. See "
          + "[Connections per client address](#connections-per-client-address)")
      .note(n -> n == 0 ? "no limit" : null);
  static final Key<ServerConfig, Integer> MAX_FRAME_SIZE = Key.of("max-frame-size",
      Types.size(125, 64 << 20), 1 << 20, ServerConfig::maxFrameSize,
      "largest frame payload accepted from either peer, 125 bytes (the largest control frame) to 64 MiB (a frame is "
          + "held whole while it is decoded); 1 MiB as in Python `websockets`");
  static final Key<ServerConfig, Duration> HANDSHAKE_TIMEOUT = Key.of("handshake-timeout",
      Types.duration(POSITIVE), Duration.ofSeconds(10), ServerConfig::handshakeTimeout,
      "a client must finish its upgrade request within this (slowloris); above 0. An HTTP/2 connection must open a "
          + "stream within it, and is closed after it without streams once its last stream ended");
  static final Key<ServerConfig, List<String>> ALLOWED_ORIGINS = Key.of("allowed-origins", HttpTypes.origins(),
      List.of(), ServerConfig::allowedOrigins,
      "`Origin` values accepted, such as `https://app.example.com` or `https://*.example.com`; empty (or `*`) = any")
      .note(o -> o.isEmpty() ? "any origin" : null);
  static final Key<ServerConfig, Optional<Path>> TLS_CERT = Key.of("tls.cert",
      Types.file("the path of a PEM file"), Optional.empty(),
      (ServerConfig s) -> s.tls().map(TlsConfig::cert),
      "PEM certificate chain, leaf first, to serve `wss://`; with `tls.key`. Judged at load by the TLS stack that "
          + "serves it (BoringSSL, else the JDK's: see [TLS](#tls))")
      .note(p -> p.isEmpty() ? "none, clients connect with ws://" : null);
  static final Key<ServerConfig, Optional<Path>> TLS_KEY = Key.of("tls.key",
      Types.file("the path of a PEM file"), Optional.empty(),
      (ServerConfig s) -> s.tls().map(TlsConfig::key),
      "its private key, PEM (PKCS#8, unencrypted); checked at load to be the certificate's")
      .note(p -> p.isEmpty() ? "none" : null);
  static final Key<ServerConfig, Integer> WRITE_BUFFER_HIGH_WATER_MARK = Key.of("write-buffer-high-water-mark",
      Types.size(1 << 10, 64 << 20), 64 << 10, ServerConfig::writeBufferHighWaterMark,
      "per direction of a session: bytes queued toward a peer that does not read before wsgate stops reading from "
          + "the other peer (resumes below half); 1 KiB to 64 MiB. See [Backpressure](#backpressure)");
  static final Key<ServerConfig, Duration> CLOSE_TIMEOUT = Key.of("close-timeout", Types.duration(POSITIVE),
      Duration.ofSeconds(5), ServerConfig::closeTimeout,
      "how long a peer gets to answer a close frame (and, on the upstream leg, to close TCP) before its connection "
          + "is closed; 5 s as in Python `websockets` and browsers");

  static final Key<ServerConfig, Boolean> REUSE_PORT = Key.of("reuse-port", Types.bool(), false,
      ServerConfig::reusePort,
      "`true`: listen with `SO_REUSEPORT` (Linux: epoll or io_uring), so that several wsgate processes share "
          + "`listen` and the kernel spreads connections over them (each with an `admin` of its own); start-up fails "
          + "where it cannot");

  static final Key<ServerConfig, Transport> TRANSPORT = Key.of("transport", Types.choice(Transport.values()),
      Transport.AUTO, ServerConfig::transport,
      "the event loops' network transport: `io_uring` or `epoll` (Linux, native) or `nio`; `auto` takes the first "
          + "that loads of epoll, io_uring, nio (why: [Transports](#transports)). The start-up log says which runs; a "
          + "transport named that cannot load fails start-up");

  static final Key<ServerConfig, ProxyProtocol> PROXY_PROTOCOL = Key.of("proxy-protocol",
      Types.choice(ProxyProtocol.values()), ProxyProtocol.OFF, ServerConfig::proxyProtocol,
      "`on`: every client connection starts with a PROXY protocol header, v1 or v2 (HAProxy `send-proxy-v2`, a "
          + "cloud L4 balancer), and its source address is the connection's; one without is closed. `optional`: "
          + "with or without (anyone who reaches `listen` can then claim an address). `off`: none. See "
          + "[The client's address](#the-clients-address); a change needs a restart")
      .note(p -> p == ProxyProtocol.OFF ? "the TCP peer is the connection's address" : null);
  static final Key<ServerConfig, List<AddressRange>> TRUSTED_PROXIES = Key.of("trusted-proxies",
      Types.addressRanges(), List.of(), ServerConfig::trustedProxies,
      "IP addresses and CIDR ranges, IPv4 or IPv6, of the proxies in front of wsgate whose "
          + "`client-address-header` is believed: from such a peer the client is the right-most address of that "
          + "header not in this list; from any other peer the header is not believed. Empty: the peer is the client")
      .note(t -> t.isEmpty() ? "no proxy is trusted: the peer is the client" : null);
  static final Key<ServerConfig, ClientAddressHeader> CLIENT_ADDRESS_HEADER = Key.of("client-address-header",
      Types.choice(ClientAddressHeader.values()), ClientAddressHeader.X_FORWARDED_FOR,
      ServerConfig::clientAddressHeader,
      "the header the trusted proxies append the address they saw to: `x-forwarded-for`, or `forwarded` (RFC 7239 "
          + "`for=`); the other is never read for the client's address");

  static final Key<ServerConfig, Http2Mode> HTTP2 = Key.of("http2", Types.choice(Http2Mode.values()),
      Http2Mode.OFF, ServerConfig::http2,
      "`on`: HTTP/2 next to HTTP/1.1: with `tls`, for a client that chooses `h2` by ALPN; without, for one that "
          + "opens with the HTTP/2 preface (prior knowledge, h2c). Each extended CONNECT stream (RFC 8441, "
          + "`:protocol websocket`) is a session of its own, holding a place of `max-connections`; any other "
          + "connection speaks HTTP/1.1 as with `off`. `off`: HTTP/1.1 only. See "
          + "[WebSocket over HTTP/2](#websocket-over-http2); a change needs a restart")
      .note(m -> m == Http2Mode.OFF ? "HTTP/1.1 only" : null);
  /** The most {@code server.http2-max-streams} may be. */
  static final int HTTP2_MAX_STREAMS_LIMIT = 10_000;
  static final Key<ServerConfig, Integer> HTTP2_MAX_STREAMS = Key.of("http2-max-streams",
      Types.integer(1, HTTP2_MAX_STREAMS_LIMIT, "a whole number from 1 to " + HTTP2_MAX_STREAMS_LIMIT), 100,
      ServerConfig::http2MaxStreams,
      "with `http2: on`: WebSocket streams a client may have open at once on one HTTP/2 connection "
          + "(`SETTINGS_MAX_CONCURRENT_STREAMS`), at most `max-connections` (each stream holds a place of it); 100 "
          + "as RFC 9113 recommends at the least, and as HAProxy and browsers expect. A client that wants more opens "
          + "another connection");

  static final Section<ServerConfig> SERVER = Section.<ServerConfig>of("server", List.of(LISTEN, ADMIN,
      MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS, MAX_FRAME_SIZE, HANDSHAKE_TIMEOUT, ALLOWED_ORIGINS, TLS_CERT, TLS_KEY,
      WRITE_BUFFER_HIGH_WATER_MARK, CLOSE_TIMEOUT, REUSE_PORT, TRANSPORT, PROXY_PROTOCOL, TRUSTED_PROXIES,
      CLIENT_ADDRESS_HEADER, HTTP2, HTTP2_MAX_STREAMS), b -> new ServerConfig(b.get(LISTEN),
      b.get(ADMIN), b.get(MAX_CONNECTIONS), b.get(MAX_FRAME_SIZE), b.get(HANDSHAKE_TIMEOUT), b.get(ALLOWED_ORIGINS),
      b.get(TLS_CERT).flatMap(cert -> b.get(TLS_KEY).map(key -> new TlsConfig(cert, key))),
      b.get(WRITE_BUFFER_HIGH_WATER_MARK), b.get(CLOSE_TIMEOUT), b.get(REUSE_PORT), b.get(TRANSPORT),
      b.get(PROXY_PROTOCOL), b.get(TRUSTED_PROXIES), b.get(CLIENT_ADDRESS_HEADER), b.get(HTTP2),
      b.get(HTTP2_MAX_STREAMS), b.get(MAX_CONNECTIONS_PER_ADDRESS)))
      .together("tls", "both cert and key, PEM files");

  // ---------------------------------------------------------------------------------------------------- upstream

  static final Key<UpstreamConfig, Duration> CONNECT_TIMEOUT = Key.of("connect-timeout", Types.duration(POSITIVE),
      Duration.ofSeconds(10), UpstreamConfig::connectTimeout,
      "TCP connect plus WebSocket handshake with an upstream; past it the client gets 504");
  static final Key<UpstreamConfig, Optional<Path>> CA_FILE = Key.of("ca-file",
      Types.file("the path of a PEM file"), Optional.empty(), UpstreamConfig::caFile,
      "PEM certificates trusted for `wss://` upstreams; without it, the system trust store")
      .note(p -> p.isEmpty() ? "none, wss:// upstreams are checked against the system trust store" : null);
  static final Key<UpstreamConfig, Duration> FAILURE_BACKOFF = Key.of("failure-backoff",
      Types.duration(ZERO_OR_MORE), Duration.ofSeconds(10), UpstreamConfig::failureBackoff,
      "an instance whose connection failed is passed over this long while another is available; `0` = never")
      .note(Schema::off);

  static final Section<UpstreamConfig> UPSTREAM = Section.of("upstream", List.of(CONNECT_TIMEOUT, CA_FILE,
      FAILURE_BACKOFF), b -> new UpstreamConfig(b.get(CONNECT_TIMEOUT), b.get(CA_FILE), b.get(FAILURE_BACKOFF)));

  // ---------------------------------------------------------------------------------------------- intermediaries

  static final Key<IntermediariesConfig, Duration> IDLE_TIMEOUT = Key.of("idle-timeout",
      Types.duration(ZERO_OR_MORE), Duration.ofSeconds(60), IntermediariesConfig::idleTimeout,
      "the smallest idle timeout of any proxy, load balancer, NAT or firewall in front of or behind wsgate (60 s: "
          + "nginx `proxy_read_timeout`, AWS ALB); `0` = none. Every heartbeat must fit under it (see below)")
      .note(idle -> idle.isZero() ? "nothing in the path cuts idle connections"
          : "each leg acts within " + Durations.format(HeartbeatBudget.limit(idle)) + " (margin "
            + Durations.format(HeartbeatBudget.margin(idle)) + ")");

  static final Section<IntermediariesConfig> INTERMEDIARIES = Section.of("intermediaries", List.of(IDLE_TIMEOUT),
      b -> new IntermediariesConfig(b.get(IDLE_TIMEOUT)));

  // --------------------------------------------------------------------------------------------------- heartbeat

  static final Key<HeartbeatSettings, Duration> INTERVAL = Key.of("interval", Types.duration(ZERO_OR_MORE),
      Duration.ofSeconds(25), HeartbeatSettings::interval,
      "inbound silence on a leg after which wsgate sends a ping (25 s: under the seeds' 30 s and every common idle "
          + "timeout); `0` = no heartbeat on that leg");
  static final Key<HeartbeatSettings, Duration> TIMEOUT = Key.of("timeout", Types.duration(ZERO_OR_MORE),
      Duration.ofSeconds(40), HeartbeatSettings::timeout,
      "inbound silence after which the peer is evicted (about 1.5 x interval); `0` = keep pinging, never evict");
  static final Key<HeartbeatSettings, HeartbeatMode> MODE = Key.of("mode", Types.choice(HeartbeatMode.values()),
      HeartbeatMode.FRAME, HeartbeatSettings::mode,
      "`frame`: RFC 6455 ping/pong frames. `text`: the messages below, for peers that cannot answer ping frames");
  static final Key<HeartbeatSettings, String> TEXT_PING = Key.of("text.ping",
      Types.nonEmptyText("a text message, such as '{\"type\":\"ping\"}'", "a text message that is not empty"),
      "{\"type\":\"ping\"}", (HeartbeatSettings s) -> s.text().ping(),
      "the text message sent as a ping in `text` mode (quote JSON in YAML: `'{\"type\":\"ping\"}'`)")
      .defaultDoc("`{\"type\":\"ping\"}`");
  static final Key<HeartbeatSettings, String> TEXT_PONG = Key.of("text.pong",
      Types.nonEmptyText("a text message, such as '{\"type\":\"pong\"}'", "a text message that is not empty"),
      "{\"type\":\"pong\"}", (HeartbeatSettings s) -> s.text().pong(),
      "the answer; a JSON object template matches any object with the same fields, else an exact match")
      .defaultDoc("`{\"type\":\"pong\"}`");
  static final Key<HeartbeatSettings, Boolean> TEXT_ANSWER_PINGS = Key.of("text.answer-pings", Types.bool(), false,
      (HeartbeatSettings s) -> s.text().answerPings(),
      "answer the peer's own text pings (messages matching `text.ping`) with `text.pong`, echoing their other "
          + "fields, instead of relaying them");
  static final Key<HeartbeatSettings, Integer> CLOSE_CODE = Key.of("close-code", Types.closeCode(), 4408,
      HeartbeatSettings::closeCode,
      "close code sent to an evicted peer: 1000-1003, 1007-1014 or 3000-4999 (4408, private, reads as HTTP 408: "
          + "the peer did not answer in time)");

  private static final List<Object> LEG_KEYS = List.of(INTERVAL, TIMEOUT, MODE, TEXT_PING, TEXT_PONG,
      TEXT_ANSWER_PINGS, CLOSE_CODE);

  /** The heartbeat of one leg ({@code client:} or {@code upstream:} of a heartbeat mapping). */
  static final Section<HeartbeatSettings> HEARTBEAT_LEG = Section.of("heartbeat leg", LEG_KEYS,
      b -> new HeartbeatSettings(b.get(INTERVAL), b.get(TIMEOUT), b.get(MODE),
          new TextHeartbeat(b.get(TEXT_PING), b.get(TEXT_PONG), b.get(TEXT_ANSWER_PINGS)), b.get(CLOSE_CODE)));

  /** A heartbeat mapping, global or of a route: the keys of both legs, then overrides per leg. */
  static final Section<HeartbeatSettings> HEARTBEAT = Section.of("heartbeat", concat(LEG_KEYS,
      Section.Nested.of("client", HEARTBEAT_LEG, (Heartbeats h) -> h.client()),
      Section.Nested.of("upstream", HEARTBEAT_LEG, (Heartbeats h) -> h.upstream())),
      HEARTBEAT_LEG::build);

  // ------------------------------------------------------------------------------------------------------ routes

  static final Key<RouteConfig, String> PATH = Key.required("path", HttpTypes.routePath(),
      "a path prefix such as /chat", RouteConfig::path,
      "path prefix from `/`; the longest matching prefix wins; `/chat` and `/chat/` are the same route");
  static final Key<RouteConfig, Optional<String>> HOST = Key.of("host", HttpTypes.host(), Optional.empty(),
      RouteConfig::host, "the `Host` this route is for: `chat.example.com`, or `*.example.com`")
      .defaultDoc("any").note(h -> h.isEmpty() ? "any host" : null);
  static final Key<RouteConfig, List<URI>> UPSTREAMS = Key.required("upstreams", HttpTypes.upstreams(),
      "a list of at least one ws:// or wss:// URI", RouteConfig::upstreams,
      "one or more `ws://` or `wss://` URIs, without query or user info");
  static final Key<RouteConfig, Balance> BALANCE = Key.of("balance", Types.choice(Balance.values()),
      Balance.ROUND_ROBIN, RouteConfig::balance,
      "`round-robin`; `least-sessions` (fewest live sessions through this wsgate); or `hash`: the same `hash-key` "
          + "goes to the same upstream (rendezvous hashing; see [Hash balancing](#hash-balancing))");
  static final Key<RouteConfig, Optional<HashKey>> HASH_KEY = Key.of("hash-key", HttpTypes.hashKey(),
      Optional.empty(), RouteConfig::hashKey,
      "with `balance: hash`, and only with it: `header:NAME`, `cookie:NAME`, `query:NAME` or `client-address`; a "
          + "session without the key goes round-robin. Hop-by-hop and handshake headers are refused")
      .defaultDoc("none");
  static final Key<RouteConfig, List<String>> HEADERS_FORWARD = Key.of("headers.forward", HttpTypes.headerNames(),
      List.of(), (RouteConfig r) -> r.headers().forward(), "further client request headers to pass upstream");
  static final Key<RouteConfig, Map<String, String>> HEADERS_ADD = Key.of("headers.add", HttpTypes.headerValues(),
      Map.of(), (RouteConfig r) -> r.headers().add(),
      "headers set on every upstream request; hop-by-hop, handshake and `X-Forwarded-*` headers are wsgate's own");
  static final Key<RouteConfig, Duration> MAX_IDLE = Key.of("max-idle", Types.duration(ZERO_OR_MORE),
      Duration.ZERO, RouteConfig::maxIdle,
      "close a session with no application data in either direction for this long (1001 \"idle\"); `0` = off")
      .note(Schema::off);
  static final Key<RouteConfig, Boolean> FORWARD_PINGS = Key.of("forward-pings", Types.bool(), false,
      RouteConfig::forwardPings,
      "relay ping and pong frames between the legs instead of answering them on each leg")
      .note(f -> f ? null : "heartbeats are hop by hop");
  static final Key<RouteConfig, Duration> MAX_SESSION_AGE = Key.of("max-session-age", Types.duration(ZERO_OR_MORE),
      Duration.ZERO, RouteConfig::maxSessionAge,
      "close a session this old (1001 \"max session age\"), so that clients reconnect and rebalance; `0` = off")
      .note(Schema::off);
  static final Key<RouteConfig, Duration> MAX_SESSION_AGE_JITTER = Key.of("max-session-age-jitter",
      Types.duration(ZERO_OR_MORE), Duration.ZERO, RouteConfig::maxSessionAgeJitter,
      "each session's age limit is drawn in `[max-session-age - jitter, max-session-age]`, so that sessions opened "
          + "together do not reconnect together");

  /** The largest route {@code max-message-size}: 1 GiB. */
  static final int MAX_MESSAGE_SIZE_LIMIT = 1 << 30;
  static final Key<RouteConfig, Integer> ROUTE_MAX_MESSAGE_SIZE = Key.of("max-message-size",
      Types.size(0, MAX_MESSAGE_SIZE_LIMIT), 0, RouteConfig::maxMessageSize,
      "the largest message either peer may send, its frames' payloads added up as wsgate relays them (inflated where "
          + "wsgate inflates, as sent otherwise); the frame that passes it is not relayed, its sender gets 1009 and "
          + "the other leg 1001 (1014 toward the client when the upstream sent it). Messages under it still stream "
          + "frame by frame. `0` = no limit but `server.max-frame-size` per frame. See "
          + "[Message size](#message-size)")
      .note(n -> n == 0 ? "no limit on a message, only on its frames" : null);

  // -------------------------------------------------------------------------------------------------- rate-limit

  /** The most messages per second (and burst) a rate limit may name. */
  static final int RATE_MESSAGES_LIMIT = 1_000_000;
  /** The most bytes per second (and burst) a rate limit may name: 1 GiB. */
  static final int RATE_BYTES_LIMIT = 1 << 30;
  static final Key<RateLimit, Integer> RATE_MESSAGES = Key.of("messages-per-second",
      Types.positiveOrAbsent(RATE_MESSAGES_LIMIT, "a whole number from 1 to " + RATE_MESSAGES_LIMIT
          + "; leave the key out for no message limit"), 0, RateLimit::messagesPerSecond,
      "messages per second the peer may send in a session (a message counts at its first frame); 1 to "
          + RATE_MESSAGES_LIMIT)
      .note(n -> n == 0 ? "no message limit" : null).defaultDoc("none");
  static final Key<RateLimit, Integer> RATE_BURST_MESSAGES = Key.of("burst-messages",
      Types.positiveOrAbsent(RATE_MESSAGES_LIMIT, "a whole number from 1 to " + RATE_MESSAGES_LIMIT
          + " (a bucket must hold one message)"), 0, RateLimit::burstMessages,
      "the message bucket: how many messages may come at once after a quiet spell; at least 1; needs "
          + "`messages-per-second`")
      .defaultDoc("`messages-per-second`");
  static final Key<RateLimit, Integer> RATE_BYTES = Key.of("bytes-per-second",
      Types.sizeOrAbsent(RATE_BYTES_LIMIT), 0, RateLimit::bytesPerSecond,
      "data frame payload bytes per second the peer may send in a session; 1 byte to 1 GiB")
      .note(n -> n == 0 ? "no byte limit" : null).defaultDoc("none");
  static final Key<RateLimit, Integer> RATE_BURST_BYTES = Key.of("burst-bytes",
      Types.sizeOrAbsent(RATE_BYTES_LIMIT), 0, RateLimit::burstBytes,
      "the byte bucket; at least `server.max-frame-size`, so that a full bucket pays for the largest frame (a frame "
          + "is relayed whole); needs `bytes-per-second`")
      .defaultDoc("`bytes-per-second`");
  static final Key<RateLimit, RateAction> RATE_ACTION = Key.of("action", Types.choice(RateAction.values()),
      RateAction.DELAY, RateLimit::action,
      "`delay`: the frames the buckets cannot pay for are held (at most one read) and relayed at the rate, and the "
          + "peer is not read meanwhile (backpressure: nothing is lost, the peer's own buffers fill); `close`: the "
          + "frame a bucket cannot pay for is not relayed, the peer gets 1008 \"rate limit\" and the other leg 1001");

  /** The rate limit of one sending peer ({@code client:} or {@code upstream:} of a route's rate-limit mapping). */
  static final Section<RateLimit> RATE_LIMIT_LEG = Section.of("rate-limit", List.of(RATE_MESSAGES,
      RATE_BURST_MESSAGES, RATE_BYTES, RATE_BURST_BYTES, RATE_ACTION), b -> {
        int messages = b.get(RATE_MESSAGES);
        int bytes = b.get(RATE_BYTES);
        return new RateLimit(messages, b.isWritten(RATE_BURST_MESSAGES) ? b.get(RATE_BURST_MESSAGES) : messages,
            bytes, b.isWritten(RATE_BURST_BYTES) ? b.get(RATE_BURST_BYTES) : bytes, b.get(RATE_ACTION));
      });

  /** A route's rate-limit mapping: one limit per sending peer. */
  static final Section<RateLimits> RATE_LIMIT = Section.of("rate-limit legs", List.of(
      Section.Nested.of("client", RATE_LIMIT_LEG, RateLimits::client),
      Section.Nested.of("upstream", RATE_LIMIT_LEG, RateLimits::upstream)),
      b -> new RateLimits(b.attached("client"), b.attached("upstream")));

  // ------------------------------------------------------------------------------------------------- compression

  static final Key<CompressionSettings, Boolean> COMPRESSION_ENABLED = Key.of("enabled", Types.bool(), true,
      CompressionSettings::enabled,
      "negotiate permessage-deflate (RFC 7692) on the leg: with the client as it offers, with the upstream as it "
          + "accepts; `false`: neither offered nor accepted there. See [Compression](#compression-permessage-deflate)");
  static final Key<CompressionSettings, Boolean> CONTEXT_TAKEOVER = Key.of("context-takeover", Types.bool(), false,
      CompressionSettings::contextTakeover,
      "where wsgate itself compresses or inflates the leg (the legs did not agree alike): `true` keeps its "
          + "deflater's context between messages (a better ratio on small messages, some 250 KiB more per session); "
          + "`false` frees it after each message, and asks an upstream for `server_no_context_takeover` so that "
          + "wsgate's inflater is freed too (a client's is when it offers `client_no_context_takeover`). Frames "
          + "passed through compressed hold no zlib state in wsgate");
  static final Key<CompressionSettings, Integer> MAX_WINDOW_BITS = Key.of("max-window-bits",
      Types.integer(9, 15, "a whole number from 9 to 15"), 15, CompressionSettings::maxWindowBits,
      "where wsgate inflates: the largest LZ77 window (2^bits bytes) the peer may compress with, 9 to 15: asked "
          + "of the upstream in wsgate's offer, answered to a client that offers `client_max_window_bits` (wsgate "
          + "compresses with 15, the JDK's zlib)");
  static final Key<CompressionSettings, Integer> MAX_MESSAGE_SIZE = Key.of("max-message-size",
      Types.size(125, 64 << 20), 1 << 20, CompressionSettings::maxMessageSize,
      "where wsgate inflates: the largest message, inflated, it takes from the peer, checked as it inflates (a "
          + "deflate bomb gets 1009, not memory); 125 bytes to 64 MiB; 1 MiB as in Python `websockets`");

  private static final List<Object> COMPRESSION_LEG_KEYS = List.of(COMPRESSION_ENABLED, CONTEXT_TAKEOVER,
      MAX_WINDOW_BITS, MAX_MESSAGE_SIZE);

  /** Compression on one leg ({@code client:} or {@code upstream:} of a route's compression mapping). */
  static final Section<CompressionSettings> COMPRESSION_LEG = Section.of("compression leg", COMPRESSION_LEG_KEYS,
      b -> new CompressionSettings(b.get(COMPRESSION_ENABLED), b.get(CONTEXT_TAKEOVER), b.get(MAX_WINDOW_BITS),
          b.get(MAX_MESSAGE_SIZE)));

  /** A route's compression mapping: the keys of both legs, then overrides per leg. */
  static final Section<CompressionSettings> COMPRESSION = Section.of("compression", concat(COMPRESSION_LEG_KEYS,
      Section.Nested.of("client", COMPRESSION_LEG, (Compressions c) -> c.client()),
      Section.Nested.of("upstream", COMPRESSION_LEG, (Compressions c) -> c.upstream())),
      COMPRESSION_LEG::build);

  static final Section<RouteConfig> ROUTE = Section.of("routes", List.of(PATH, HOST, UPSTREAMS, BALANCE,
      HASH_KEY, HEADERS_FORWARD, HEADERS_ADD,
      Section.Nested.of("heartbeat", HEARTBEAT, RouteConfig::heartbeat).documented("global",
          "overrides of `heartbeat`, as above"),
      MAX_IDLE, FORWARD_PINGS, MAX_SESSION_AGE, MAX_SESSION_AGE_JITTER,
      Section.Nested.of("compression", COMPRESSION, RouteConfig::compression).documented("on",
          "permessage-deflate on each leg: see [`compression`](#compression) below"),
      ROUTE_MAX_MESSAGE_SIZE,
      Section.Nested.of("rate-limit", RATE_LIMIT, RouteConfig::rateLimit).documented("none",
          "messages and bytes per second of what each peer sends, per session: see [`rate-limit`](#rate-limit) "
              + "below")),
      b -> new RouteConfig(b.get(PATH), b.get(HOST), b.get(UPSTREAMS), HashKeyCheck.balance(b),
          HashKeyCheck.hashKey(b),
          new HeaderRules(b.get(HEADERS_FORWARD), b.get(HEADERS_ADD)), b.attached("heartbeat"), b.get(MAX_IDLE),
          b.get(FORWARD_PINGS), b.get(MAX_SESSION_AGE), b.get(MAX_SESSION_AGE_JITTER), b.attached("compression"),
          b.get(ROUTE_MAX_MESSAGE_SIZE), b.attached("rate-limit")));

  // ---------------------------------------------------------------------------------------------------- shutdown

  static final Key<ShutdownConfig, Duration> DRAIN_TIMEOUT = Key.of("drain-timeout", Types.duration(ZERO_OR_MORE),
      Duration.ofSeconds(30), ShutdownConfig::drainTimeout,
      "after SIGTERM, how long sessions get to close cleanly (1001) before the rest are cut (30 s, a Kubernetes "
          + "pod's grace period); `0` = at once");
  static final Key<ShutdownConfig, Duration> DRAIN_WINDOW = Key.of("drain-window", Types.duration(ZERO_OR_MORE),
      Duration.ofSeconds(10), ShutdownConfig::drainWindow,
      "the 1001 closes are spread over this window, so that clients do not all reconnect at once; at most "
          + "`drain-timeout` (a shorter `drain-timeout` without a window of its own spreads over all of it)");

  static final Section<ShutdownConfig> SHUTDOWN = Section.of("shutdown", List.of(DRAIN_TIMEOUT, DRAIN_WINDOW),
      b -> new ShutdownConfig(b.get(DRAIN_TIMEOUT), DrainWindowCheck.window(b)));

  // ----------------------------------------------------------------------------------------------------- logging

  static final Key<LoggingConfig, LoggingConfig.LogFormat> LOG_FORMAT = Key.of("format",
      Types.choice(LoggingConfig.LogFormat.values()), LoggingConfig.LogFormat.TEXT, LoggingConfig::format,
      "`text`: human-readable lines; `json`: JSON lines (Logback's JSON encoder); `--log-format` overrides it");

  static final Section<LoggingConfig> LOGGING = Section.of("logging", List.of(LOG_FORMAT),
      b -> new LoggingConfig(b.get(LOG_FORMAT)));

  // -------------------------------------------------------------------------------------------------------- file

  /** The whole file. */
  static final Section<GatewayConfig> ROOT = Section.of("", List.of(
      Section.Nested.of("server", SERVER, GatewayConfig::server),
      Section.Nested.of("upstream", UPSTREAM, GatewayConfig::upstream),
      Section.Nested.of("heartbeat", HEARTBEAT, GatewayConfig::heartbeat),
      Section.Nested.of("intermediaries", INTERMEDIARIES, GatewayConfig::intermediaries),
      Section.Nested.of("routes", ROUTE, GatewayConfig::routes).asList(),
      Section.Nested.of("shutdown", SHUTDOWN, GatewayConfig::shutdown),
      Section.Nested.of("logging", LOGGING, GatewayConfig::logging)),
      b -> new GatewayConfig(b.attached("server"), b.attached("upstream"), b.attached("heartbeat"),
          b.attached("intermediaries"), b.attached("routes"), b.attached("shutdown"), b.attached("logging")));

  /** The sections that have a table in the README, in its order. */
  static final List<Section<?>> DOCUMENTED = List.of(SERVER, UPSTREAM, INTERMEDIARIES, HEARTBEAT, ROUTE, COMPRESSION,
      RATE_LIMIT_LEG, SHUTDOWN, LOGGING);

  /** For each name a mapping may hold, the places of the file that hold it ({@code routes[i]}), shortest first. */
  private static final Map<String, List<String>> PLACES = places();

  /** Where a key that is unknown in one place belongs: {@code [routes[i]]}; empty when nowhere. */
  static List<String> placesOf(String name) {
    return PLACES.getOrDefault(name, List.of());
  }

  private static Map<String, List<String>> places() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    walk(ROOT, "", out);
    out.values().forEach(l -> l.sort(java.util.Comparator.comparingInt(String::length)));
    return out;
  }

  private static void walk(Section<?> section, String place, Map<String, List<String>> out) {
    for (Object e : section.entries()) {
      if (e instanceof Key<?, ?> k) {
        add(out, k.head(), place);
        if (!k.head().equals(k.name())) {
          add(out, k.tail(), join(place, k.head()));
        }
      } else {
        Section.Nested n = (Section.Nested) e;
        add(out, n.name(), place);
        walk(n.section(), join(place, n.name()) + (n.list() ? "[i]" : ""), out);
      }
    }
  }

  private static void add(Map<String, List<String>> out, String name, String place) {
    List<String> places = out.computeIfAbsent(name, n -> new ArrayList<>());
    if (!places.contains(place)) {
      places.add(place);
    }
  }

  private static String join(String place, String name) {
    return place.isEmpty() ? name : place + "." + name;
  }

  private static String off(Duration d) {
    return d.isZero() ? "off" : null;
  }

  private static List<Object> concat(List<Object> keys, Object... more) {
    List<Object> out = new ArrayList<>(keys);
    out.addAll(List.of(more));
    return out;
  }
}
