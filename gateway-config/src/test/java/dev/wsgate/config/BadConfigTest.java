package dev.wsgate.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad configurations and the exact errors each one gets: every error at once, each with its line, column, YAML
 * path, the value and the rule.
 */
class BadConfigTest {

  /** A route that is valid on its own, to append where a case is about something else. */
  private static final String ROUTE = "routes:\n  - path: /\n    upstreams: [ws://backend:8000]\n";

  private static final Map<String, String> ENV = Map.of("PORT", "9000", "EMPTY", "");

  static Stream<Arguments> cases() {
    return Stream.of(
        // ----- keys
        bad("unknown key, with the nearest known key", """
            heartbeat:
              intervall: 25s
            """ + ROUTE,
            "2:3: heartbeat.intervall: unknown key (did you mean interval?)"),
        // (on shutdown, whose keys are few and settled: server's grow with every issue)
        bad("unknown key, nothing near it", """
            shutdown:
              colour: blue
            """ + ROUTE,
            "2:3: shutdown.colour: unknown key (expected one of: drain-timeout, drain-window)"),
        bad("unknown top-level key", """
            rotues: []
            """ + ROUTE,
            "1:1: rotues: unknown key (did you mean routes?)"),
        bad("duplicate key", """
            server:
              listen: :8080
              listen: :8081
            """ + ROUTE,
            "3:3: server.listen: duplicate key (first at line 2)"),
        bad("a list where a mapping belongs", """
            shutdown:
              - drain-timeout: 5s
            """ + ROUTE,
            "2:3: shutdown: a list (expected: a mapping of drain-timeout, drain-window)"),
        bad("a scalar document", """
            just a string
            """,
            "1:1: just a string (expected: a mapping with server, upstream, heartbeat, intermediaries, routes, "
                + "shutdown, logging)"),
        bad("drain window longer than the drain timeout, and an unknown log format", """
            shutdown:
              drain-timeout: 20s
              drain-window: 30s
            logging:
              format: xml
            """ + ROUTE,
            "3:17: shutdown.drain-window: 30s (expected: at most shutdown.drain-timeout 20s)",
            "5:11: logging.format: xml (expected: text or json)"),

        // ----- durations
        bad("duration without unit", """
            heartbeat:
              interval: 25
            """ + ROUTE,
            "2:13: heartbeat.interval: 25 (expected: a duration with a unit, such as 25s; units: ms, s, m, h)"),
        bad("negative duration", """
            shutdown:
              drain-timeout: -5s
            """ + ROUTE,
            "2:18: shutdown.drain-timeout: -5s (expected: a duration such as 25s, or 0 to disable; a duration "
                + "cannot be negative)"),
        bad("zero where zero is not allowed", """
            server:
              handshake-timeout: 0
            """ + ROUTE,
            "2:22: server.handshake-timeout: 0 (expected: a duration above 0, such as 5s; 0 is not allowed here)"),
        bad("unknown duration unit", """
            routes:
              - path: /
                upstreams: [ws://backend:8000]
                max-idle: 3 days
            """,
            "4:15: routes[0].max-idle: 3 days (expected: a duration such as 25s, or 0 to disable; units: ms, s, m, "
                + "h)"),
        bad("duration given as a list", """
            heartbeat:
              timeout: [40s]
            """ + ROUTE,
            "2:12: heartbeat.timeout: a list (expected: a duration such as 25s, or 0 to disable)"),
        bad("duration without a value", """
            heartbeat:
              timeout:
            """ + ROUTE,
            "2:11: heartbeat.timeout: no value (expected: a duration such as 25s, or 0 to disable)"),

        // ----- the client's address
        bad("trusted proxies: every way a range can be wrong, each at its element", """
            server:
              trusted-proxies:
                - 10.0.0.0/33
                - 'fd00::/129'
                - 10.1.2.3/8
                - 'fd00::1/8'
                - proxy.internal
                - 10.0.0
                - 'fe80::1%eth0'
                - '::ffff:10.0.0.1'
                - 192.0.2.7
                - 192.0.2.7/32
                - [10.0.0.0/8]
            """ + ROUTE,
            "3:7: server.trusted-proxies[0]: 10.0.0.0/33 (expected: an IP address or a CIDR range, such as "
                + "10.0.0.0/8, 192.0.2.7 or fd00::/8; an IPv4 prefix is 0 to 32)",
            "4:7: server.trusted-proxies[1]: fd00::/129 (expected: an IP address or a CIDR range, such as "
                + "10.0.0.0/8, 192.0.2.7 or fd00::/8; an IPv6 prefix is 0 to 128)",
            "5:7: server.trusted-proxies[2]: 10.1.2.3/8 (expected: an IP address or a CIDR range, such as "
                + "10.0.0.0/8, 192.0.2.7 or fd00::/8; 10.1.2.3 has bits set past /8: did you mean 10.0.0.0/8?)",
            "6:7: server.trusted-proxies[3]: fd00::1/8 (expected: an IP address or a CIDR range, such as "
                + "10.0.0.0/8, 192.0.2.7 or fd00::/8; fd00::1 has bits set past /8: did you mean fd00::/8?)",
            "7:7: server.trusted-proxies[4]: proxy.internal (expected: an IP address or a CIDR range, such as "
                + "10.0.0.0/8, 192.0.2.7 or fd00::/8; host names are not resolved, write addresses)",
            "8:7: server.trusted-proxies[5]: 10.0.0 (expected: an IP address or a CIDR range, such as "
                + "10.0.0.0/8, 192.0.2.7 or fd00::/8)",
            "9:7: server.trusted-proxies[6]: fe80::1%eth0 (expected: an IP address or a CIDR range, such as "
                + "10.0.0.0/8, 192.0.2.7 or fd00::/8; without a zone (%name))",
            "10:7: server.trusted-proxies[7]: ::ffff:10.0.0.1 (expected: an IP address or a CIDR range, such as "
                + "10.0.0.0/8, 192.0.2.7 or fd00::/8; write an IPv4-mapped address as IPv4: 10.0.0.1)",
            "12:7: server.trusted-proxies[9]: 192.0.2.7/32 (expected: each range once; 192.0.2.7 is listed "
                + "before)",
            "13:7: server.trusted-proxies[10]: a list (expected: an IP address or a CIDR range, such as "
                + "10.0.0.0/8, 192.0.2.7 or fd00::/8)"),
        bad("trusted proxies: one address where a list belongs; proxy protocol and header misspelt", """
            server:
              trusted-proxies: 10.0.0.1
              proxy-protocol: yes
              client-address-header: x_forwarded_for
            """ + ROUTE,
            "2:20: server.trusted-proxies: 10.0.0.1 (expected: a list of IP addresses and CIDR ranges, such as "
                + "[10.0.0.0/8, 192.0.2.7, 'fd00::/8'])",
            "3:19: server.proxy-protocol: yes (expected: off or on or optional)",
            "4:26: server.client-address-header: x_forwarded_for (expected: x-forwarded-for or forwarded; did you mean "
                + "x-forwarded-for?)"),

        // ----- numbers, sizes, choices
        bad("max-connections not a number", """
            server:
              max-connections: lots
            """ + ROUTE,
            "2:20: server.max-connections: lots (expected: a whole number from 0 to 1000000, 0 for no limit)"),
        bad("max-connections negative", """
            server:
              max-connections: -1
            """ + ROUTE,
            "2:20: server.max-connections: -1 (expected: a whole number from 0 to 1000000, 0 for no limit)"),
        bad("frame size with a decimal unit", """
            server:
              max-frame-size: 64KB
            """ + ROUTE,
            "2:19: server.max-frame-size: 64KB (expected: a size from 125 bytes to 64MiB, such as 64KiB or 1MiB; "
                + "units: B, KiB, MiB, GiB, powers of 1024)"),
        bad("frame size above the limit", """
            server:
              max-frame-size: 1GiB
            """ + ROUTE,
            "2:19: server.max-frame-size: 1GiB (expected: a size from 125 bytes to 64MiB, such as 64KiB or 1MiB)"),
        bad("unknown balance, with a suggestion", """
            routes:
              - path: /
                upstreams: [ws://backend:8000]
                balance: round_robin
            """,
            "4:14: routes[0].balance: round_robin (expected: round-robin or least-sessions or hash; did you mean "
                + "round-robin?)"),
        bad("unknown heartbeat mode", """
            heartbeat:
              mode: json
            """ + ROUTE,
            "2:9: heartbeat.mode: json (expected: frame or text)"),
        bad("close code that must never be sent", """
            heartbeat:
              client:
                close-code: 1006
            """ + ROUTE,
            "3:17: heartbeat.client.close-code: 1006 (expected: a close code that may be sent: 1000-1003, "
                + "1007-1014 or 3000-4999; 1006 must never be sent in a close frame)"),
        bad("close code out of range", """
            heartbeat:
              close-code: 5000
            """ + ROUTE,
            "2:15: heartbeat.close-code: 5000 (expected: a close code that may be sent: 1000-1003, 1007-1014 or "
                + "3000-4999)"),
        bad("text ping that YAML read as a mapping", """
            heartbeat:
              mode: text
              text:
                ping: {"type":"ping"}
            """ + ROUTE,
            "4:11: heartbeat.text.ping: a mapping (expected: a text message, such as '{\"type\":\"ping\"}'; "
                + "quote it when it is JSON: '{\"type\":\"ping\"}')"),

        // ----- addresses
        bad("listen port out of range", """
            server:
              listen: 0.0.0.0:99999
            """ + ROUTE,
            "2:11: server.listen: 0.0.0.0:99999 (expected: HOST:PORT, [IPv6]:PORT or :PORT, with a port from 0 to "
                + "65535)"),
        bad("listen as a bare port", """
            server:
              listen: 8080
            """ + ROUTE,
            "2:11: server.listen: 8080 (expected: HOST:PORT, [IPv6]:PORT or :PORT, with a port from 0 to 65535; "
                + "for every interface write :8080)"),
        bad("IPv6 without brackets", """
            server:
              listen: ::1:8080
            """ + ROUTE,
            "2:11: server.listen: ::1:8080 (expected: HOST:PORT, [IPv6]:PORT or :PORT, with a port from 0 to "
                + "65535; put IPv6 in brackets)"),
        bad("listen and admin on the same address", """
            server:
              listen: 0.0.0.0:8080
              admin: 127.0.0.1:8080
            """ + ROUTE,
            "3:10: server.admin: 127.0.0.1:8080 (expected: an address apart from server.listen 0.0.0.0:8080; both "
                + "cannot hold one port)"),
        bad("origin with a path", """
            server:
              allowed-origins: [https://app.example.com/login]
            """ + ROUTE,
            "2:21: server.allowed-origins[0]: https://app.example.com/login (expected: an origin, "
                + "SCHEME://HOST[:PORT] without a path, such as https://app.example.com or https://*.example.com; "
                + "or * for any)"),

        bad("write buffer below its minimum", """
            server:
              write-buffer-high-water-mark: 100
            """ + ROUTE,
            "2:33: server.write-buffer-high-water-mark: 100 (expected: a size from 1KiB to 64MiB, such as "
                + "64KiB or 1MiB)"),
        bad("upstream keys", """
            upstream:
              connect-timeout: 0
              failure-backoff: soon
            """ + ROUTE,
            "2:20: upstream.connect-timeout: 0 (expected: a duration above 0, such as 5s; 0 is not allowed here)",
            "3:20: upstream.failure-backoff: soon (expected: a duration such as 25s, or 0 to disable; units: ms, s, "
                + "m, h)"),

        // ----- routes
        bad("no routes key", """
            server:
              listen: :8080
            """,
            "1:1: missing routes (expected: a list of at least one route, each with a path and upstreams)"),
        bad("empty routes", """
            routes: []
            """,
            "1:9: routes: no routes (expected: at least one route, each with a path and upstreams)"),
        bad("upstream with a scheme other than ws or wss", """
            routes:
              - path: /chat
                upstreams: [ftp://x]
            """,
            "3:17: routes[0].upstreams[0]: ftp://x (expected: ws:// or wss://)"),
        bad("upstream written as http", """
            routes:
              - path: /chat
                upstreams: [http://backend:8000]
            """,
            "3:17: routes[0].upstreams[0]: http://backend:8000 (expected: ws:// or wss://; for http:// write ws://)"),
        bad("upstream with a query", """
            routes:
              - path: /chat
                upstreams: ["ws://backend:8000/?token=1"]
            """,
            "3:17: routes[0].upstreams[0]: ws://backend:8000/?token=1 (expected: a ws:// or wss:// URI without user "
                + "info, query or fragment; the client's query is passed on)"),
        bad("empty upstream list", """
            routes:
              - path: /chat
                upstreams: []
            """,
            "3:16: routes[0].upstreams: [] (expected: at least one ws:// or wss:// URI)"),
        bad("route without path and upstreams", """
            routes:
              - balance: round-robin
            """,
            "2:5: routes[0]: missing path (expected: a path prefix such as /chat)",
            "2:5: routes[0]: missing upstreams (expected: a list of at least one ws:// or wss:// URI)"),
        bad("path without a leading slash", """
            routes:
              - path: chat
                upstreams: [ws://backend:8000]
            """,
            "2:11: routes[0].path: chat (expected: a path prefix from /, such as /chat, without spaces, ?, #, // or "
                + "dot segments)"),
        bad("duplicate route, trailing slash aside", """
            routes:
              - path: /chat
                upstreams: [ws://a:8000]
              - path: /chat/
                upstreams: [ws://b:8000]
            """,
            "4:11: routes[1].path: /chat on any host (expected: each path and host once; routes[0] has it already)"),
        bad("same path on different hosts is fine, on the same host is not", """
            routes:
              - path: /chat
                host: a.example.com
                upstreams: [ws://a:8000]
              - path: /chat
                host: b.example.com
                upstreams: [ws://b:8000]
              - path: /chat
                host: A.example.com
                upstreams: [ws://c:8000]
            """,
            "8:11: routes[2].path: /chat on host a.example.com (expected: each path and host once; routes[0] has it "
                + "already)"),
        bad("max-session-age-jitter not below max-session-age", """
            routes:
              - path: /
                upstreams: [ws://a:8000]
                max-session-age: 10m
                max-session-age-jitter: 10m
              - path: /b
                upstreams: [ws://a:8000]
                max-session-age-jitter: 1m
            """,
            "5:29: routes[0].max-session-age-jitter: 10m (expected: less than max-session-age 10m)",
            "8:29: routes[1].max-session-age-jitter: 60s (expected: less than max-session-age 0, which is off; set "
                + "max-session-age first)"),
        bad("hash keys on hop-by-hop and handshake headers", """
            routes:
              - path: /a
                upstreams: [ws://a:8000, ws://b:8000]
                balance: hash
                hash-key: header:Connection
              - path: /b
                upstreams: [ws://a:8000, ws://b:8000]
                balance: hash
                hash-key: header:upgrade
              - path: /c
                upstreams: [ws://a:8000, ws://b:8000]
                balance: hash
                hash-key: header:Sec-WebSocket-Key
              - path: /d
                upstreams: [ws://a:8000, ws://b:8000]
                balance: hash
                hash-key: header:X-Forwarded-For
            """,
            "5:15: routes[0].hash-key: header:Connection (expected: a header that is the same on every connection "
                + "of a client; Connection is hop-by-hop or part of the WebSocket handshake)",
            "9:15: routes[1].hash-key: header:upgrade (expected: a header that is the same on every connection of a "
                + "client; upgrade is hop-by-hop or part of the WebSocket handshake)",
            "13:15: routes[2].hash-key: header:Sec-WebSocket-Key (expected: a header that is the same on every "
                + "connection of a client; Sec-WebSocket-Key is hop-by-hop or part of the WebSocket handshake)",
            "17:15: routes[3].hash-key: header:X-Forwarded-For (expected: client-address, which believes "
                + "X-Forwarded-For only from server.trusted-proxies)"),
        bad("hash keys that cannot be read", """
            routes:
              - path: /a
                upstreams: [ws://a:8000]
                balance: hash
                hash-key: body:user
              - path: /b
                upstreams: [ws://a:8000]
                balance: hash
                hash-key: 'cookie:'
              - path: /c
                upstreams: [ws://a:8000]
                balance: hash
                hash-key: header:X User
              - path: /d
                upstreams: [ws://a:8000]
                balance: hash
                hash-key: query:a&b
              - path: /e
                upstreams: [ws://a:8000]
                balance: hash
                hash-key: client-address:x
            """,
            "5:15: routes[0].hash-key: body:user (expected: header:NAME, cookie:NAME, query:NAME or client-address)",
            "9:15: routes[1].hash-key: cookie: (expected: a name after cookie:, such as cookie:session)",
            "13:15: routes[2].hash-key: header:X User (expected: a header name, letters, digits and "
                + "!#$%&'*+-.^_`|~)",
            "17:15: routes[3].hash-key: query:a&b (expected: a query parameter name, printable ASCII without & = # % "
                + "? or spaces)",
            "21:15: routes[4].hash-key: client-address:x (expected: header:NAME, cookie:NAME, query:NAME or "
                + "client-address)"),
        bad("balance hash without a hash-key, and a hash-key without balance hash", """
            routes:
              - path: /a
                upstreams: [ws://a:8000]
                balance: hash
              - path: /b
                upstreams: [ws://a:8000]
                hash-key: cookie:session
            """,
            "4:14: routes[0].balance: hash (expected: a hash-key with it: header:NAME, cookie:NAME, query:NAME or "
                + "client-address)",
            "7:15: routes[1].hash-key: cookie:session (expected: balance: hash with a hash-key; balance is "
                + "round-robin)"),
        bad("answer-pings that is not a boolean", """
            heartbeat:
              text: {answer-pings: yes}
            """ + ROUTE,
            "2:24: heartbeat.text.answer-pings: yes (expected: true or false)"),
        bad("host with a port", """
            routes:
              - path: /
                host: example.com:443
                upstreams: [ws://a:8000]
            """,
            "3:11: routes[0].host: example.com:443 (expected: a host name such as chat.example.com or "
                + "*.example.com; without a port)"),
        bad("hop-by-hop header added", """
            routes:
              - path: /
                upstreams: [ws://a:8000]
                headers:
                  add:
                    Connection: keep-alive
                    X-Gateway: wsgate
            """,
            "6:9: routes[0].headers.add.Connection: Connection (expected: a header that wsgate does not manage "
                + "itself; hop-by-hop, handshake and X-Forwarded-* headers are set by wsgate)"),
        bad("header name that is not a token", """
            routes:
              - path: /
                upstreams: [ws://a:8000]
                headers:
                  forward: ["X Tenant"]
            """,
            "5:17: routes[0].headers.forward[0]: X Tenant (expected: a header name, letters, digits and "
                + "!#$%&'*+-.^_`|~)"),

        // ----- environment
        bad("unset variable without default", """
            server:
              listen: :${LISTEN_PORT}
            """ + ROUTE,
            "2:11: server.listen: ${LISTEN_PORT}: environment variable LISTEN_PORT is not set (expected: set it, or "
                + "give a default: ${LISTEN_PORT:-value})"),
        bad("malformed variable", """
            server:
              listen: :${PORT
            """ + ROUTE,
            "2:11: server.listen: unterminated ${ (expected: ${NAME} or ${NAME:-default}; write $${ for a literal "
                + "${)"),
        bad("substituted value checked like any other", """
            server:
              listen: :${EMPTY:-70000}
            """ + ROUTE,
            "2:11: server.listen: :70000 (expected: HOST:PORT, [IPv6]:PORT or :PORT, with a port from 0 to 65535)"),

        // ----- heartbeat budget
        bad("interval not below timeout", """
            heartbeat:
              interval: 30s
              timeout: 30s
            """ + ROUTE,
            "3:12: heartbeat: interval 30s >= timeout 30s (expected: interval < timeout; about 1.5 x interval, 45s, "
                + "is usual)"),
        bad("route timeout over the idle timeout, on one leg", """
            intermediaries:
              idle-timeout: 30s
            heartbeat:
              interval: 10s
              timeout: 20s
            routes:
              - path: /
                upstreams: [ws://a:8000]
                heartbeat:
                  client:
                    timeout: 40s
            """,
            "11:18: routes[0].heartbeat.client: timeout 40s + margin 5s > intermediaries.idle-timeout 30s "
                + "(expected: timeout <= 25s)"),
        bad("a global timeout over the idle timeout is reported once, not per route and leg", """
            intermediaries:
              idle-timeout: 30s
            heartbeat:
              interval: 10s
              timeout: 28s
            routes:
              - path: /a
                upstreams: [ws://a:8000]
              - path: /b
                upstreams: [ws://b:8000]
            """,
            "5:12: heartbeat: timeout 28s + margin 5s > intermediaries.idle-timeout 30s (expected: timeout <= 25s)"),
        bad("the margin shrinks for short idle timeouts", """
            intermediaries:
              idle-timeout: 3s
            heartbeat:
              interval: 1s
              timeout: 2500ms
            """ + ROUTE,
            "5:12: heartbeat: timeout 2.5s + margin 600ms > intermediaries.idle-timeout 3s (expected: timeout <= "
                + "2.4s)"),
        bad("the default timeout against a short idle timeout", """
            intermediaries:
              idle-timeout: 30s
            """ + ROUTE,
            "2:17: intermediaries.idle-timeout: 30s is shorter than the default heartbeat timeout 40s + margin 5s "
                + "(expected: heartbeat.timeout <= 25s, or idle-timeout >= 45s)"),
        bad("heartbeat off with an intermediary in the path", """
            heartbeat:
              upstream:
                interval: 0
            """ + ROUTE,
            "3:15: heartbeat.upstream: interval 0 turns the heartbeat off, but intermediaries.idle-timeout 60s "
                + "would cut a quiet session (expected: an interval above 0 with a timeout <= 55s (or, with timeout "
                + "0, an interval <= 55s), or intermediaries.idle-timeout: 0 when nothing in the path cuts idle "
                + "connections)"),
        bad("keep-alive without eviction still has to ping in time", """
            heartbeat:
              interval: 58s
              timeout: 0
            """ + ROUTE,
            "2:13: heartbeat: interval 58s + margin 5s > intermediaries.idle-timeout 60s (expected: interval <= "
                + "55s)"),

        // ----- TLS
        bad("TLS files missing", """
            server:
              tls:
                cert: nowhere/cert.pem
                key: nowhere/key.pem
            """ + ROUTE,
            "3:11: server.tls.cert: {dir}/nowhere/cert.pem: no such file",
            "4:10: server.tls.key: {dir}/nowhere/key.pem: no such file"),
        bad("TLS certificate and key in one missing file: each key gets its refusal", """
            server:
              tls:
                cert: nowhere/both.pem
                key: nowhere/both.pem
            """ + ROUTE,
            "3:11: server.tls.cert: {dir}/nowhere/both.pem: no such file",
            "4:10: server.tls.key: {dir}/nowhere/both.pem: no such file"),
        bad("TLS without a key", """
            server:
              tls:
                cert: tls/rsa-cert.pem
            """ + ROUTE,
            "3:5: server.tls: missing key (expected: both cert and key, PEM files)"),
        // What a PEM file holds is judged by the TLS stack that loads it: those cases are in the gateway module
        // (dev.wsgate.server.TlsFilesTest), with the same messages.

        // ----- several errors from one file, reported together in file order
        bad("many mistakes in one file", """
            server:
              listen: 0.0.0.0:8080
              admin: 0.0.0.0:8080
              max-connections: lots
            heartbeat:
              intervall: 25s
              timeout: 25
            intermediaries:
              idle-timeout: 30s
            routes:
              - path: /chat
                upstreams: [ftp://x, "ws://ok:9000"]
                balance: random
              - path: chat
                upstreams: [ws://a]
                heartbeat:
                  client:
                    timeout: 40s
                max-idle: ${NOPE}
            shutdown:
              drain-timeout: -5s
            """,
            "3:10: server.admin: 0.0.0.0:8080 (expected: an address apart from server.listen 0.0.0.0:8080; both "
                + "cannot hold one port)",
            "4:20: server.max-connections: lots (expected: a whole number from 0 to 1000000, 0 for no limit)",
            "6:3: heartbeat.intervall: unknown key (did you mean interval?)",
            "7:12: heartbeat.timeout: 25 (expected: a duration with a unit, such as 25s; units: ms, s, m, h)",
            "12:17: routes[0].upstreams[0]: ftp://x (expected: ws:// or wss://)",
            "13:14: routes[0].balance: random (expected: round-robin or least-sessions or hash)",
            "14:11: routes[1].path: chat (expected: a path prefix from /, such as /chat, without spaces, ?, #, // or "
                + "dot segments)",
            "18:18: routes[1].heartbeat.client: timeout 40s + margin 5s > intermediaries.idle-timeout 30s "
                + "(expected: timeout <= 25s)",
            "19:15: routes[1].max-idle: ${NOPE}: environment variable NOPE is not set (expected: set it, or give a "
                + "default: ${NOPE:-value})",
            "21:18: shutdown.drain-timeout: -5s (expected: a duration such as 25s, or 0 to disable; a duration "
                + "cannot be negative)"),

        // ----- a known key in the wrong place says where it belongs
        bad("keys in the wrong place", """
            server:
              idle-timeout: 30s
              cert: cert.pem
              ca-file: ca.pem
            heartbeat:
              forward-pings: true
            tls: {cert: a.pem, key: b.pem}
            routes:
              - path: /
                upstreams: [ws://a:1]
                interval: 5s
            """,
            "2:3: server.idle-timeout: unknown key (idle-timeout is a key of intermediaries)",
            "3:3: server.cert: unknown key (cert is a key of server.tls)",
            "4:3: server.ca-file: unknown key (ca-file is a key of upstream)",
            "6:3: heartbeat.forward-pings: unknown key (forward-pings is a key of routes[i])",
            "7:1: tls: unknown key (tls is a key of server)",
            "11:5: routes[0].interval: unknown key (interval is a key of heartbeat and routes[i].heartbeat)"),

        // ----- YAML itself
        bad("YAML syntax error", """
            server:
              listen: [1
            """,
            "3:1: YAML syntax error: expected ',' or ']', but got <stream end> (while parsing a flow sequence at "
                + "line 2)"),
        bad("tab indentation", "server:\n\tlisten: :8080\n",
            "2:1: YAML syntax error: found character '\\t(TAB)' that cannot start any token. (Do not use "
                + "\\t(TAB) for indentation) (while scanning for the next token)"),
        bad("two documents", """
            routes: []
            ---
            routes: []
            """,
            "2:1: a second YAML document (expected: one document; remove the second ---)"),
        bad("compression: a window too small for one leg, an unknown key, a size too big", """
            routes:
              - path: /
                upstreams: [ws://backend:8000]
                compression:
                  max-message-size: 65MiB
                  client:
                    max-window-bits: 8
                  upstream:
                    context-takover: true
            """,
            "5:25: routes[0].compression.max-message-size: 65MiB (expected: a size from 125 bytes to 64MiB, such as "
                + "64KiB or 1MiB)",
            "7:26: routes[0].compression.client.max-window-bits: 8 (expected: a whole number from 9 to 15)",
            "9:9: routes[0].compression.upstream.context-takover: unknown key (did you mean context-takeover?)"),
        bad("limits that cannot work: a rate of 0, a burst below one message, a byte bucket below a frame, a burst "
            + "without its rate, an action without a limit, a negative message size, too many per address", """
            server:
              max-connections-per-address: -1
            routes:
              - path: /
                upstreams: [ws://backend:8000]
                max-message-size: -1
                rate-limit:
                  client:
                    messages-per-second: 0
                    burst-messages: 0
                    bytes-per-second: 64KiB
                    burst-bytes: 512KiB
                  upstream:
                    burst-bytes: 2MiB
                    action: close
              - path: /b
                upstreams: [ws://backend:8000]
                rate-limit:
                  client:
                    bytes-per-second: 64KiB
            """,
            "2:32: server.max-connections-per-address: -1 (expected: a whole number from 0 to 1000000, 0 for no "
                + "limit)",
            "6:23: routes[0].max-message-size: -1 (expected: a size from 0 bytes to 1GiB, such as 64KiB or 1MiB)",
            "9:30: routes[0].rate-limit.client.messages-per-second: 0 (expected: a whole number from 1 to 1000000; "
                + "leave the key out for no message limit)",
            "10:25: routes[0].rate-limit.client.burst-messages: 0 (expected: a whole number from 1 to 1000000 (a "
                + "bucket must hold one message))",
            "12:22: routes[0].rate-limit.client.burst-bytes: 512KiB (expected: at least server.max-frame-size 1MiB: "
                + "a frame is relayed whole, so the bucket must hold the largest)",
            "14:22: routes[0].rate-limit.upstream.burst-bytes: 2MiB (expected: with bytes-per-second; a burst "
                + "without a rate limits nothing)",
            "15:17: routes[0].rate-limit.upstream.action: close (expected: with messages-per-second or "
                + "bytes-per-second; there is no limit to act on)",
            "20:27: routes[1].rate-limit.client.bytes-per-second: 64KiB (expected: with burst-bytes left out, the "
                + "burst is one second's worth, which must hold the largest frame, server.max-frame-size 1MiB: set "
                + "burst-bytes to that or more, or lower server.max-frame-size)"),
        bad("empty file", "",
            "1:1: file is empty (expected: a YAML mapping with at least routes:)"),
        bad("only comments", "# routes: later\n\n",
            "1:1: file is empty (expected: a YAML mapping with at least routes:)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void reportsExactlyTheseErrors(String name, String yaml, List<String> expected) throws URISyntaxException {
    Path dir = resourceDir();
    List<String> expectedWithDir = expected.stream().map(e -> "test.yaml:" + e.replace("{dir}", dir.toString()))
        .toList();
    assertThatThrownBy(() -> ConfigLoader.withEnvironment(ENV).parse(yaml, "test.yaml", dir))
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.errors()).map(ConfigError::toString).containsExactlyElementsOf(expectedWithDir));
  }

  @org.junit.jupiter.api.Test
  void thereAreAtLeastThirtyCases() {
    assertThat(cases().count()).isGreaterThanOrEqualTo(30);
  }

  static Path resourceDir() throws URISyntaxException {
    return Path.of(BadConfigTest.class.getResource("/tls/rsa-cert.pem").toURI()).getParent().getParent();
  }

  private static Arguments bad(String name, String yaml, String... errors) {
    return Arguments.of(name, yaml, List.of(errors));
  }
}
