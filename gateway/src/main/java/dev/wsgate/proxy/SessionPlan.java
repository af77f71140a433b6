package dev.wsgate.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * What a new session is made of, decided by the client's handshake before wsgate connects upstream.
 *
 * @param requestId     the request id (the client's {@code X-Request-Id}, or a new one)
 * @param route         the route id
 * @param clientAddress the client's address, {@code ip:port} ({@code [ip]:port} for IPv6), or {@code ip} when a trusted
 *                      proxy's header gave no port (server {@code ClientAddress})
 * @param limits        the session's own limits (idle, age, the age drawn for this session)
 * @param closeTimeout  how long a peer gets to answer a close frame
 * @param clientSetup   how the client leg is set up once upgraded
 * @param upstreamSetup how the upstream leg is set up once connected
 * @param deflate       permessage-deflate on each leg, from the client's offer and the route
 */
public record SessionPlan(String requestId, String route, String clientAddress, SessionLimits limits,
    Duration closeTimeout, LegSetup clientSetup, LegSetup upstreamSetup, DeflateNegotiation deflate) {

  /** A plan without compression. */
  public SessionPlan(String requestId, String route, String clientAddress, SessionLimits limits,
      Duration closeTimeout, LegSetup clientSetup, LegSetup upstreamSetup) {
    this(requestId, route, clientAddress, limits, closeTimeout, clientSetup, upstreamSetup, DeflateNegotiation.NONE);
  }

  public SessionPlan {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(clientAddress, "clientAddress");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(closeTimeout, "closeTimeout");
    Objects.requireNonNull(clientSetup, "clientSetup");
    Objects.requireNonNull(upstreamSetup, "upstreamSetup");
    Objects.requireNonNull(deflate, "deflate");
  }
}
