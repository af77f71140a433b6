package dev.wsgate.proxy;

import dev.wsgate.config.Leg;
import dev.wsgate.heartbeat.HeartbeatHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.util.AttributeKey;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import reactor.netty.NettyPipeline;

/**
 * The names and order of wsgate's handlers in each leg's pipeline, in one place (as Reactor Netty's
 * {@link NettyPipeline}). A client connection, from accept until its upgrade, holds:
 *
 * <pre>
 *   reactor.left.proxyProtocolDecoder, reactor.left.proxyProtocolReader
 *                        (server.proxy-protocol on or optional: Reactor Netty's; they leave once the header is read)
 *   wsgate.proxyHeaderRefusal
 *                        closes, counts and logs a connection whose PROXY header is missing (on) or broken; leaves
 *                        with the first bytes after the header
 *   [ssl]
 *   wsgate.earlyBytes    holds every byte after the request head (frames sent with the handshake, a pipelined
 *                        request, a body) until the session starts; then hands them to the ws decoder and leaves
 *   reactor.left.httpCodec, ...                 (Reactor Netty's HTTP/1.1 server)
 * </pre>
 * After the upgrade both legs, client and upstream, hold, from the network inwards:
 *
 * <pre>
 *   [ssl] - ws encoder - ws decoder             (placed by the handshake; encoder first, see below): Netty's
 *                        encoder, and wsgate's decoder (WireFrameDecoder) in the place of Netty's; on a leg that
 *                        relays verbatim ({@link #relaysVerbatim}) it hands data frames on as they came, in runs
 *                        (ByteBufs), which go through the handlers below and the other leg's encoder untouched
 *   wsgate.deflate       only where wsgate compresses the leg itself ({@link LegDeflate}): Netty's
 *                        permessage-deflate encoder, outbound
 *   wsgate.inflate       with it: {@link MessageInflater}, inbound, within max-message-size; 1009, 1007
 *   wsgate.heartbeat     HeartbeatHandler: a tick every heartbeat tick of silence (its own timer, no idle
 *                        handler), pings, pongs, RTT, eviction; answers the peer's pings
 *   wsgate.relay         FrameRelayHandler: adds up each message's frames against max-message-size (1009),
 *                        validates text as UTF-8 (1007), relays frames and closes to the other leg, with
 *                        backpressure and the rate limit of what the leg's peer sends (LegRate, in the session)
 * </pre>
 * On an HTTP/2 connection ({@code server.http2: on}) the connection itself holds, after the PROXY protocol's and
 * in place of everything from {@code wsgate.earlyBytes} on, from the network inwards:
 *
 * <pre>
 *   wsgate.h2liveness    Http2Liveness: PING after the client heartbeat's interval of silence; after its timeout
 *                        the connection's sessions are evicted and its TCP closed (absent with interval 0)
 *   wsgate.h2codec       Netty's Http2FrameCodec: frames, HPACK, flow control, settings, stream states, limits
 *   wsgate.h2multiplex   Netty's Http2MultiplexHandler: one child channel a stream
 *   wsgate.h2streams     Http2Streams: the connection's streams and its places of max-connections; closes it
 *                        after the handshake timeout without streams
 *   wsgate.h2errors      Http2ConnectionErrors: what the codec reports ends here, in one line
 * </pre>
 * Each of its streams is a channel of its own, the client leg of at most one session, which holds, from the network
 * inwards:
 *
 * <pre>
 *   wsgate.h2bytes       DATA frames in, their bytes on; bytes out, DATA frames; close: END_STREAM (and reset)
 *   wsgate.h2handshake   the extended CONNECT: checks, upstream first, 200; holds the bytes that come before it;
 *                        leaves when the session starts, and then, as above: ws encoder - ws decoder - heartbeat -
 *                        relay
 * </pre>
 * Nothing else: the client leg leaves Reactor Netty once upgraded ({@link #leaveReactor}), the upstream leg never
 * had it ({@link UpstreamConnector}: Netty's client, whose HTTP codec and aggregator its handshaker removes).
 * During the upstream handshake only, the upstream leg also holds {@value UpstreamHandshakeFilter#NAME}
 * ({@link UpstreamHandshakeFilter}) and the handler that takes the answer.
 */
public final class ProxyPipeline {

  /**
   * {@code ProxyHeaderRefusal}, on a client connection until its PROXY protocol header is read, after Reactor Netty's
   * decoder and reader of the header.
   */
  public static final String PROXY_HEADER_REFUSAL = "wsgate.proxyHeaderRefusal";
  /** {@code EarlyBytesHandler}, on a client connection until its upgrade, on the network side of the HTTP codec. */
  public static final String EARLY_BYTES = "wsgate.earlyBytes";
  /** Netty's permessage-deflate encoder, on a leg wsgate compresses itself. */
  public static final String DEFLATE = "wsgate.deflate";
  /** {@link MessageInflater}, with it. */
  public static final String INFLATE = "wsgate.inflate";
  /**
   * {@code Http2Preface}, with {@code server.http2: on}, on a client connection until its first bytes tell HTTP/2's
   * preface from an HTTP/1.1 request, before {@value #EARLY_BYTES}.
   */
  public static final String H2_PREFACE = "wsgate.h2preface";
  /** Netty's {@code Http2FrameCodec}, on an HTTP/2 client connection. */
  public static final String H2_CODEC = "wsgate.h2codec";
  /** Netty's {@code Http2MultiplexHandler}, after {@value #H2_CODEC}: one child channel a stream. */
  public static final String H2_MULTIPLEX = "wsgate.h2multiplex";
  /** {@code Http2Liveness}, on an HTTP/2 client connection, on the network side of {@value #H2_CODEC}. */
  public static final String H2_LIVENESS = "wsgate.h2liveness";
  /** {@code Http2Streams}, last on an HTTP/2 client connection, after {@value #H2_MULTIPLEX}. */
  public static final String H2_STREAMS = "wsgate.h2streams";
  /** {@code Http2ConnectionErrors}, last on an HTTP/2 client connection. */
  public static final String H2_ERRORS = "wsgate.h2errors";
  /** {@code Http2StreamBytes}, first on an HTTP/2 stream's channel. */
  public static final String H2_BYTES = "wsgate.h2bytes";
  /** {@code Http2Handshake}, on an HTTP/2 stream's channel until its session starts. */
  public static final String H2_HANDSHAKE = "wsgate.h2handshake";
  /** Netty's name for the WebSocket frame encoder, as its server handshake places it. */
  static final String WS_ENCODER = "wsencoder";
  /** Netty's name for the WebSocket frame decoder, as its server handshake places it. */
  static final String WS_DECODER = "wsdecoder";

  /** {@link HeartbeatHandler}. */
  public static final String HEARTBEAT = "wsgate.heartbeat";
  /** {@link FrameRelayHandler}. */
  public static final String RELAY = "wsgate.relay";

  private ProxyPipeline() {
  }

  /**
   * Puts wsgate's handlers into a freshly upgraded leg, in the order above, and returns its relay handler.
   */
  static FrameRelayHandler install(Channel channel, Leg leg, LegSetup setup) {
    return install(channel, leg, setup, DeflateNegotiation.Decision.NONE);
  }

  /**
   * The same, on a session with permessage-deflate as {@code deflate} decided. The leg's data frames are relayed
   * verbatim ({@link WireFrameDecoder}) when nothing on their way reads their payload.
   */
  static FrameRelayHandler install(Channel channel, Leg leg, LegSetup setup, DeflateNegotiation.Decision deflate) {
    if (setup.heartbeat().leg() != leg) {
      throw new IllegalArgumentException("the " + setup.heartbeat().leg() + " leg's setup for the " + leg + " leg");
    }
    ChannelPipeline p = channel.pipeline();
    // wsgate is the client on the upstream leg, and masks what it sends there.
    encoderBeforeDecoder(p, leg == Leg.UPSTREAM);
    WireFrameDecoder decoder = p.get(WireFrameDecoder.class);
    if (decoder != null && relaysVerbatim(setup, deflate)) {
      decoder.relayVerbatim(deflate.passThrough());
    }
    addDeflate(p, leg, leg == Leg.CLIENT ? deflate.client() : deflate.upstream());
    addLast(p, HEARTBEAT, new HeartbeatHandler(setup.heartbeat(), setup.timing()));
    FrameRelayHandler relay = FrameRelayHandler.of(leg, setup.maxMessageSize());
    addLast(p, RELAY, relay);
    return relay;
  }

  /**
   * True when nothing between a leg's decoder and the other leg's encoder reads a data frame's payload: no
   * permessage-deflate of wsgate's own on either leg, no text heartbeat on the leg (it reads text messages), no rate
   * limit on what the leg's peer sends (it holds frames). The relay's own checks (UTF-8, max-message-size) read a
   * verbatim frame as it is.
   */
  static boolean relaysVerbatim(LegSetup setup, DeflateNegotiation.Decision deflate) {
    return !deflate.ownCodec() && !setup.heartbeat().readsText() && !setup.rateLimit().on();
  }

  /** wsgate's own inflater and deflater, on a leg it compresses itself. */
  private static void addDeflate(ChannelPipeline p, Leg leg, LegDeflate deflate) {
    if (deflate == null || deflate.passThrough()) {
      return;
    }
    LegDeflate.Codec codec = deflate.codec(leg);
    addLast(p, DEFLATE, codec.deflater());
    addLast(p, INFLATE, codec.inflater());
  }

  /**
   * Puts the WebSocket codec of a client leg that no HTTP/1.1 handshake set up (an HTTP/2 stream's: RFC 8441) after
   * the handler {@code after}, as Netty's server handshake would with Reactor Netty's settings: frames from the client
   * must be masked, reserved bits pass (the session refuses them), payloads up to {@code maxFramePayload}.
   */
  public static void installClientCodec(ChannelPipeline pipeline, String after, int maxFramePayload) {
    pipeline.addAfter(after, WS_ENCODER, SharedFrameEncoder.PLAIN);
    pipeline.addAfter(WS_ENCODER, WS_DECODER, clientDecoder(maxFramePayload));
  }

  /**
   * Puts wsgate's frame decoder ({@link WireFrameDecoder}) in the place of the one Netty's server handshake put on a
   * client leg, with the same settings, before any frame has reached it: right after the upgrade, while the bytes
   * that came with the handshake are still held.
   */
  public static void replaceClientDecoder(ChannelPipeline pipeline, int maxFramePayload) {
    ChannelHandlerContext netty = pipeline.context(WebSocketFrameDecoder.class);
    if (netty != null && !(netty.handler() instanceof WireFrameDecoder)) {
      pipeline.replace(netty.name(), netty.name(), clientDecoder(maxFramePayload));
    }
  }

  /**
   * A client leg's frame decoder, as Netty's server handshake would set it with Reactor Netty's settings: frames from
   * the client must be masked, reserved bits pass (the session refuses them), payloads up to {@code maxFramePayload}.
   */
  private static WireFrameDecoder clientDecoder(int maxFramePayload) {
    return new WireFrameDecoder(decoderConfig(maxFramePayload, true, true));
  }

  /**
   * An upstream leg's frame decoder, as Netty's client handshake would set it: frames from the server must not be
   * masked, reserved bits pass only when wsgate offered an extension, payloads up to {@code maxFramePayload}.
   */
  static WebSocketFrameDecoder upstreamDecoder(int maxFramePayload, boolean allowExtensions) {
    return new WireFrameDecoder(decoderConfig(maxFramePayload, false, allowExtensions));
  }

  /**
   * The decoders' settings, one object for all decoders alike (48 bytes a leg less than one each): a few at most,
   * one for each {@code max-frame-size} the configuration has had.
   */
  private static final ConcurrentMap<Long, WebSocketDecoderConfig> DECODER_CONFIGS = new ConcurrentHashMap<>();

  private static WebSocketDecoderConfig decoderConfig(int maxFramePayload, boolean masked, boolean allowExtensions) {
    long key = (long) maxFramePayload << 2 | (masked ? 2 : 0) | (allowExtensions ? 1 : 0);
    return DECODER_CONFIGS.computeIfAbsent(key, k -> WebSocketDecoderConfig.newBuilder()
        .maxFramePayloadLength(maxFramePayload)
        .allowExtensions(allowExtensions)
        .expectMaskedFrames(masked)
        .allowMaskMismatch(false)
        .build());
  }

  /**
   * Takes the client leg out of Reactor Netty's hands once it is upgraded, so that a held session keeps nothing of
   * the HTTP server's: the reactive bridge (which sees no frames: the relay takes them all, and never passes an
   * exception on) leaves the pipeline, and the channel forgets its Reactor operations (request and response
   * headers, inbound sinks, subscribers). From here the session's own handlers and its lifecycle's close listeners
   * own the channel. (The upstream leg never had Reactor's: {@link UpstreamConnector} uses Netty's client.)
   */
  public static void leaveReactor(Channel channel) {
    ChannelPipeline p = channel.pipeline();
    if (p.get(NettyPipeline.ReactiveBridge) != null) {
      p.remove(NettyPipeline.ReactiveBridge);
    }
    for (AttributeKey<Object> key : REACTOR_ATTRIBUTES) {
      channel.attr(key).getAndRemove();
    }
  }

  /**
   * What Reactor Netty keeps on a server connection ({@code ReactorNetty.CONNECTION}, its operations;
   * {@code CONTEXT_VIEW}; {@code PERSISTENT_CHANNEL}; and, with the PROXY protocol, the header's source address,
   * which it reads with {@code getAndSet(null)}, leaving the attribute: not public).
   */
  private static final List<AttributeKey<Object>> REACTOR_ATTRIBUTES = List.of(AttributeKey.valueOf("$CONNECTION"),
      AttributeKey.valueOf("$CONTEXT_VIEW"), AttributeKey.valueOf("$PERSISTENT_CHANNEL"),
      AttributeKey.valueOf("remoteAddressFromProxyProtocol"));

  /**
   * Puts the WebSocket frame encoder on the network side of the frame decoder, and makes it the one encoder all legs
   * of its kind share ({@link SharedFrameEncoder}). Netty's client handshake adds the encoder after the decoder, so
   * the close frame the decoder writes on a protocol violation (1002, 1009) would reach the network unencoded, and
   * the peer would see the connection drop without it. The encoder is stateless: the shared one ({@code mask}ing as
   * the leg's role asks) takes the place of the handshake's, where it belongs.
   */
  static void encoderBeforeDecoder(ChannelPipeline pipeline, boolean mask) {
    String encoder = null;
    String decoder = null;
    for (var entry : pipeline) {
      if (entry.getValue() instanceof WebSocketFrameEncoder && encoder == null) {
        encoder = entry.getKey();
      } else if (entry.getValue() instanceof WebSocketFrameDecoder && decoder == null) {
        decoder = entry.getKey();
      }
    }
    if (decoder == null || encoder == null) {
      return;
    }
    pipeline.remove(encoder);
    pipeline.addBefore(decoder, encoder, mask ? SharedFrameEncoder.MASKING : SharedFrameEncoder.PLAIN);
  }

  /**
   * Netty's frame encoder, one instance for all connections of a role (masking on upstream legs, where wsgate is the
   * client; plain on client legs) instead of one a leg: it keeps no state between frames (its mask generator is
   * Netty's thread-safe one), so it may be shared.
   */
  @ChannelHandler.Sharable
  static final class SharedFrameEncoder extends WebSocket13FrameEncoder {

    static final SharedFrameEncoder MASKING = new SharedFrameEncoder(true);
    static final SharedFrameEncoder PLAIN = new SharedFrameEncoder(false);

    private SharedFrameEncoder(boolean mask) {
      super(mask);
    }
  }

  /** Adds a handler after every wsgate handler already in the pipeline, before Reactor's bridge. */
  static void addLast(ChannelPipeline pipeline, String name, ChannelHandler handler) {
    if (pipeline.get(NettyPipeline.ReactiveBridge) != null) {
      pipeline.addBefore(NettyPipeline.ReactiveBridge, name, handler);
    } else {
      pipeline.addLast(name, handler);
    }
  }
}
