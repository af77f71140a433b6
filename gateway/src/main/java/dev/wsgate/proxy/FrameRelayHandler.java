package dev.wsgate.proxy;

import static dev.wsgate.proxy.WireFrames.OPCODE_BINARY;
import static dev.wsgate.proxy.WireFrames.OPCODE_CLOSE;
import static dev.wsgate.proxy.WireFrames.OPCODE_CONT;
import static dev.wsgate.proxy.WireFrames.OPCODE_TEXT;

import dev.wsgate.config.Leg;
import dev.wsgate.heartbeat.HeartbeatEvicted;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * The last wsgate handler of a leg: hands every frame, close, loss of connection and error of its leg to the
 * {@link ProxySession}, which relays it to the other leg. No frame goes further (to Reactor Netty's bridge).
 *
 * <p>It validates text as UTF-8 on its way through, fragment by fragment ({@link Utf8Check}): a fragment that makes
 * a message invalid is not relayed, and the session fails its sender with 1007. The check lives here, in an
 * {@code int}, rather than in a handler of its own (Netty's {@code Utf8FrameValidator}), which cost each leg a
 * handler, its context and a validator object.
 *
 * <p>It adds up the payloads of each message's frames, as they pass, against the route's {@code max-message-size}:
 * the frame that passes it is not relayed, and the session fails its sender with 1009. Messages under it still
 * stream frame by frame: nothing is held to count them.
 *
 * <p>The upstream leg is up before the client leg (wsgate completes the upstream handshake first), so until the
 * session is attached (the client upgraded, or gone) the handler holds what arrives, in order, and replays it on
 * {@link #attach}. Reading is off until then (Reactor Netty turned auto-read off), so at most one read's worth is
 * held. What is still held when the handler leaves the pipeline is released.
 */
class FrameRelayHandler extends ChannelInboundHandlerAdapter {

  /** Marks, among held events, that the connection ended. */
  private static final Object INACTIVE = new Object();
  /** {@link #textState} while no text message is under way. */
  private static final int NO_TEXT = -1;

  private final Leg leg;
  private ProxySession session;
  private ArrayDeque<Object> held = new ArrayDeque<>(4);
  /** The UTF-8 state ({@link Utf8Check}) of the text message under way on the leg, or {@link #NO_TEXT}. */
  private int textState = NO_TEXT;

  private FrameRelayHandler(Leg leg) {
    this.leg = leg;
  }

  /**
   * The relay of a leg whose route has a {@code max-message-size} of {@code maxMessageSize} (0: none). A leg without
   * one pays nothing for it: only a relay that counts carries the count (a held session's handler stays at 32
   * bytes).
   */
  static FrameRelayHandler of(Leg leg, int maxMessageSize) {
    return maxMessageSize == 0 ? new FrameRelayHandler(leg) : new Sized(leg, maxMessageSize);
  }

  /** A relay that adds up the payloads of each message's frames against the route's {@code max-message-size}. */
  private static final class Sized extends FrameRelayHandler {
    /** The route's {@code max-message-size} (at most 1 GiB). */
    private final int maxMessageSize;
    /**
     * Payload bytes of the message under way on the leg, its frames so far: at most the limit plus one frame
     * (64 MiB), so an {@code int}. On the leg's event loop.
     */
    private int messageBytes;

    Sized(Leg leg, int maxMessageSize) {
      super(leg);
      this.maxMessageSize = maxMessageSize;
    }

    @Override
    int maxMessageSize() {
      return maxMessageSize;
    }

    @Override
    boolean tooBig(int opcode, int bytes) {
      if (opcode == OPCODE_TEXT || opcode == OPCODE_BINARY) {
        messageBytes = bytes;
      } else if (opcode == OPCODE_CONT) {
        messageBytes += bytes;
      } else {
        return false; // control frames may come between fragments, and are no part of the message
      }
      return messageBytes > maxMessageSize;
    }
  }

  /** The route's {@code max-message-size}; 0: none. */
  int maxMessageSize() {
    return 0;
  }

  /**
   * Adds a data frame's payload ({@code bytes}) to its message's: true once the message is past
   * {@link #maxMessageSize}.
   */
  boolean tooBig(int opcode, int bytes) {
    return false;
  }

  /** Hands this leg to its session and replays what arrived before. Runs on the channel's event loop. */
  void attach(ProxySession session) {
    this.session = session;
    ArrayDeque<Object> before = held;
    held = null;
    for (Object event; (event = before.poll()) != null; ) {
      if (event == INACTIVE) {
        session.onInactive(leg);
      } else if (event instanceof HeartbeatEvicted) {
        session.onEvicted(leg, ((HeartbeatEvicted) event).code());
      } else if (event instanceof Throwable) {
        session.onError(leg, (Throwable) event);
      } else {
        deliver(event);
      }
    }
    if (!before.isEmpty()) {
      throw new IllegalStateException("events left over");
    }
    session.onReadComplete(leg);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame) && !(msg instanceof ByteBuf)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (session != null) {
      deliver(msg);
    } else if (held != null) {
      held.add(msg);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  /**
   * Hands a frame to the session, or a run of data frames relayed verbatim (a {@code ByteBuf}:
   * {@link WireFrameDecoder}), unless a frame makes its message too big or a text message invalid: its sender is
   * failed then, and the frames before it in the run are relayed.
   */
  private void deliver(Object msg) {
    if (msg instanceof ByteBuf) {
      deliverRun((ByteBuf) msg);
      return;
    }
    WebSocketFrame frame = (WebSocketFrame) msg;
    int opcode = opcode(frame);
    if (tooBig(opcode, frame.content().readableBytes())) {
      frame.release();
      session.onMessageTooBig(leg, maxMessageSize());
    } else if (!validText(opcode, frame.rsv(), frame.isFinalFragment(), frame, -1)) {
      frame.release();
      session.onInvalidText(leg);
    } else {
      session.onFrame(leg, frame);
    }
  }

  /** A run of whole data frames as they came: each is checked as a decoded one would be. */
  private void deliverRun(ByteBuf run) {
    int first = run.readerIndex();
    int end = run.writerIndex();
    int frames = 0;
    int payloads = 0;
    for (int at = first; at < end; frames++) {
      int opcode = WireFrames.opcode(run, at);
      int payload = WireFrames.payloadLength(run, at);
      boolean tooBig = tooBig(opcode, payload);
      if (tooBig || !validText(opcode, WireFrames.rsv(run, at), WireFrames.fin(run, at), run, at)) {
        if (at > first) {
          session.onWire(leg, run.retainedSlice(first, at - first), frames, payloads);
        }
        run.release();
        if (tooBig) {
          session.onMessageTooBig(leg, maxMessageSize());
        } else {
          session.onInvalidText(leg);
        }
        return;
      }
      payloads += payload;
      at += WireFrames.headerLength(run, at) + payload;
    }
    session.onWire(leg, run, frames, payloads);
  }

  /** A data frame's opcode (RFC 6455 5.2), as its class says it; the close frame's for any control frame. */
  private static int opcode(WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame) {
      return OPCODE_TEXT;
    } else if (frame instanceof BinaryWebSocketFrame) {
      return OPCODE_BINARY;
    } else if (frame instanceof ContinuationWebSocketFrame) {
      return OPCODE_CONT;
    }
    return OPCODE_CLOSE; // what matters here: a control frame, no part of a message
  }

  /**
   * Runs a text message's fragment through the UTF-8 check: a decoded frame's payload, or that of the frame at
   * {@code at} in a run relayed verbatim ({@code msg} a {@code ByteBuf}). Frames with reserved bits set are the
   * session's (it fails them, or an extension made them: their payload is not plain text); control frames may come
   * between fragments and are not text.
   */
  private boolean validText(int opcode, int rsv, boolean fin, Object msg, int at) {
    int state;
    if (rsv != 0) {
      return true;
    } else if (opcode == OPCODE_TEXT) {
      state = Utf8Check.ACCEPT;
    } else if (opcode == OPCODE_CONT && textState != NO_TEXT) {
      state = textState;
    } else {
      return true;
    }
    state = msg instanceof ByteBuf ? WireFrames.scanText(state, (ByteBuf) msg, at)
        : Utf8Check.scan(state, ((WebSocketFrame) msg).content());
    textState = fin || state == Utf8Check.REJECT ? NO_TEXT : state;
    return state == Utf8Check.ACCEPT || (!fin && state != Utf8Check.REJECT);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (session != null) {
      session.onReadComplete(leg);
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (session != null) {
      session.onWritabilityChanged(leg);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (session != null) {
      session.onInactive(leg);
    } else if (held != null) {
      held.add(INACTIVE);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (session != null) {
        session.onIdleTick(leg);
      }
    } else if (evt instanceof HeartbeatEvicted) {
      if (session != null) {
        session.onEvicted(leg, ((HeartbeatEvicted) evt).code());
      } else if (held != null) {
        held.add(evt);
      }
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Never passed on: Reactor Netty would log it and close the channel with a code of its own.
    if (session != null) {
      session.onError(leg, cause);
    } else if (held != null) {
      held.add(cause);
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseHeld();
  }

  private void releaseHeld() {
    if (held != null) {
      for (Object event; (event = held.poll()) != null; ) {
        ReferenceCountUtil.release(event);
      }
    }
  }
}
