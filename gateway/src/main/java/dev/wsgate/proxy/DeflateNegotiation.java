package dev.wsgate.proxy;

import dev.wsgate.config.CompressionSettings;
import dev.wsgate.config.HeartbeatMode;
import dev.wsgate.config.Leg;
import dev.wsgate.config.RouteConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;

/**
 * permessage-deflate (RFC 7692) for one session, each leg negotiated on its own, decided from the client's offer
 * and the route, then from the upstream's answer.
 *
 * <ul>
 *   <li>Pass-through: when both legs may compress and neither has text heartbeats (which must read the peer's text),
 *       the client's offers go upstream as they are, and the upstream's answer, when it accepts one, goes back to
 *       the client as it is: both legs then agree alike, and compressed frames cross wsgate untouched (RSV1 and
 *       all), with no zlib state in wsgate.</li>
 *   <li>Otherwise each leg on its own: wsgate offers the upstream its own parameters (when the upstream leg may
 *       compress), and accepts the client's offer with its own (when the client leg may), and inflates and deflates
 *       on the legs that compress.</li>
 * </ul>
 * wsgate's own deflater always uses a window of 15 (the JDK's zlib); a client offer that asks for a smaller server
 * window is declined on a leg that wsgate compresses.
 */
public final class DeflateNegotiation {

  /** No compression on either leg. */
  public static final DeflateNegotiation NONE = new DeflateNegotiation(List.of(), false, List.of(), null, null);

  /**
   * What the upstream's answer settles.
   *
   * @param client       the client leg's compression, or null for none
   * @param clientAnswer the client's {@code Sec-WebSocket-Extensions} answer, or null
   * @param upstream     the upstream leg's compression, or null for none
   * @param refusal      why the upstream's answer cannot be taken, or null
   */
  record Decision(LegDeflate client, String clientAnswer, LegDeflate upstream, String refusal) {
    static final Decision NONE = new Decision(null, null, null, null);

    /** Both legs pass compressed frames through. */
    boolean passThrough() {
      return upstream != null && upstream.passThrough();
    }

    /** wsgate compresses or decompresses a leg itself: some data frames change on their way between the legs. */
    boolean ownCodec() {
      return (client != null && !client.passThrough()) || (upstream != null && !upstream.passThrough());
    }
  }

  private final List<DeflateParams> clientOffers;
  private final boolean forward;
  private final List<DeflateParams> ownOffers;
  private final CompressionSettings client;
  private final CompressionSettings upstream;

  private DeflateNegotiation(List<DeflateParams> clientOffers, boolean forward, List<DeflateParams> ownOffers,
      CompressionSettings client, CompressionSettings upstream) {
    this.clientOffers = clientOffers;
    this.forward = forward;
    this.ownOffers = ownOffers;
    this.client = client;
    this.upstream = upstream;
  }

  /** The negotiation of a new session on {@code route}, from the client's handshake. */
  public static DeflateNegotiation of(HttpHeaders clientHeaders, RouteConfig route) {
    CompressionSettings c = route.compression().client();
    CompressionSettings u = route.compression().upstream();
    if (!c.enabled() && !u.enabled()) {
      return NONE;
    }
    List<DeflateParams> offers = c.enabled() ? DeflateParams.parseAll(
        String.join(",", clientHeaders.getAll(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS)), true) : List.of();
    boolean textHeartbeat = route.heartbeat().client().mode() == HeartbeatMode.TEXT
        || route.heartbeat().upstream().mode() == HeartbeatMode.TEXT;
    boolean forward = !offers.isEmpty() && u.enabled() && !textHeartbeat;
    List<DeflateParams> own = u.enabled() && !forward ? ownOffers(u) : List.of();
    return new DeflateNegotiation(List.copyOf(offers), forward, own, c, u);
  }

  /**
   * wsgate's own offers upstream. Without context takeover, the first asks the upstream to compress each message
   * afresh ({@code server_no_context_takeover}), so that wsgate's inflater holds nothing between messages, and says
   * that wsgate does so itself; the second, without the request, is for servers that decline it (Netty's do by
   * default). A window under 15 is asked for with {@code server_max_window_bits}. No {@code client_max_window_bits}:
   * wsgate's deflater cannot use a smaller window.
   */
  private static List<DeflateParams> ownOffers(CompressionSettings u) {
    int window = u.maxWindowBits() < 15 ? u.maxWindowBits() : DeflateParams.ABSENT;
    if (u.contextTakeover()) {
      return List.of(new DeflateParams(false, false, window, DeflateParams.ABSENT));
    }
    return List.of(new DeflateParams(true, true, window, DeflateParams.ABSENT),
        new DeflateParams(false, true, window, DeflateParams.ABSENT));
  }

  /** The {@code Sec-WebSocket-Extensions} of the upstream request, or null for none. */
  public String upstreamOffer() {
    if (forward) {
      return DeflateParams.header(clientOffers);
    }
    return ownOffers.isEmpty() ? null : DeflateParams.header(ownOffers);
  }

  /**
   * What each leg runs with, given the upstream's answer.
   *
   * @param answer the {@code Sec-WebSocket-Extensions} of the upstream's {@code 101}, or null
   */
  Decision answered(String answer) {
    LegDeflate upstreamLeg = null;
    if (answer != null && !answer.isBlank()) {
      String offered = upstreamOffer();
      if (offered == null) {
        return refused("answered with the extension " + answer + ", which wsgate did not offer");
      }
      String[] elements = answer.split(",");
      DeflateParams agreed = elements.length == 1 ? DeflateParams.parse(elements[0], false) : null;
      if (agreed == null) {
        return refused("answered with the extensions " + answer + " to " + offered);
      }
      if (forward) {
        for (DeflateParams offer : clientOffers) {
          if (agreed.accepts(offer)) {
            return new Decision(LegDeflate.PASS_THROUGH, agreed.header(), LegDeflate.PASS_THROUGH, null);
          }
        }
        return refused("answered " + answer + " to " + offered);
      }
      if (ownOffers.stream().noneMatch(agreed::accepts)) {
        return refused("answered " + answer + " to " + offered);
      }
      upstreamLeg = new LegDeflate(false, agreed.serverNoContext(),
          !upstream.contextTakeover() || agreed.clientNoContext(), upstream.maxMessageSize());
    }
    for (DeflateParams offer : clientOffers) {
      DeflateParams answerToClient = clientAnswer(offer, client);
      if (answerToClient != null) {
        LegDeflate clientLeg = new LegDeflate(false, answerToClient.clientNoContext(),
            answerToClient.serverNoContext(), client.maxMessageSize());
        return new Decision(clientLeg, answerToClient.header(), upstreamLeg, null);
      }
    }
    return new Decision(null, null, upstreamLeg, null);
  }

  /**
   * wsgate's answer to a client offer on a leg it compresses itself, or null to decline it (it asks for a server
   * window under 15). Without context takeover, wsgate compresses each message afresh and says so
   * ({@code server_no_context_takeover}); {@code client_no_context_takeover} is answered only when offered: RFC 7692
   * lets a server add it, but Netty's clients, among others, refuse an answer that does.
   * {@code client_max_window_bits} is answered when offered, at most the route's.
   */
  static DeflateParams clientAnswer(DeflateParams offer, CompressionSettings settings) {
    if (offer.serverMaxWindow() != DeflateParams.ABSENT && offer.serverMaxWindow() < DeflateParams.JDK_WINDOW) {
      return null;
    }
    boolean fresh = !settings.contextTakeover();
    int clientWindow = DeflateParams.ABSENT;
    if (offer.clientMaxWindow() != DeflateParams.ABSENT) {
      int offered = offer.clientMaxWindow() == DeflateParams.NO_VALUE ? 15 : offer.clientMaxWindow();
      int w = Math.min(offered, settings.maxWindowBits());
      clientWindow = w < 15 || offer.clientMaxWindow() != DeflateParams.NO_VALUE ? w : DeflateParams.ABSENT;
    }
    return new DeflateParams(fresh || offer.serverNoContext(), offer.clientNoContext(), offer.serverMaxWindow(),
        clientWindow);
  }

  private static Decision refused(String why) {
    return new Decision(null, null, null, why);
  }

  /** The leg's settings: for tests. */
  CompressionSettings settings(Leg leg) {
    return leg == Leg.CLIENT ? client : upstream;
  }
}
