package dev.wsgate.proxy;

import static dev.wsgate.proxy.WireFrames.OPCODE_BINARY;
import static dev.wsgate.proxy.WireFrames.OPCODE_CLOSE;
import static dev.wsgate.proxy.WireFrames.OPCODE_CONT;
import static dev.wsgate.proxy.WireFrames.OPCODE_PING;
import static dev.wsgate.proxy.WireFrames.OPCODE_PONG;
import static dev.wsgate.proxy.WireFrames.OPCODE_TEXT;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import java.util.List;

/**
 * A leg's WebSocket frame decoder (RFC 6455 5.2), in place of Netty's {@code WebSocket13FrameDecoder}, with its
 * checks, in its order and with its words, and its configuration. It differs in one thing: on a leg whose data frames
 * wsgate only relays ({@link #relayVerbatim}), data frames are not decoded but handed on as they came, headers and
 * payloads (still masked, from a client), a slice of the bytes read ({@link WireFrames}): the other leg writes them
 * as they are, so the relay costs no copy, no unmasking and masking again, no frame object and no encoding.
 *
 * <p>That is what a tunnelling proxy (nginx, HAProxy, Envoy) sends after an upgrade: the client's frames with the
 * client's masking keys, the server's unmasked. Both are valid on the other leg: frames to a server must be masked, by
 * a key its sender cannot predict from the page that makes it send (RFC 6455 10.3), which the client's are, and
 * frames to a client must not be masked, which the server's are not (this decoder checks both, as Netty's does).
 *
 * <p>A leg relays verbatim when nothing on the way needs a data frame's payload as such: no permessage-deflate of
 * wsgate's own on either leg, no text heartbeat reading the leg's messages, no rate limit on what the leg's peer sends.
 * Anywhere else, and for control frames always, it decodes as Netty's decoder does: the payload copied out and
 * unmasked, a {@code WebSocketFrame}.
 *
 * <p>What it hands on verbatim is a run: the whole data frames that came one after the other in the bytes read, as
 * one slice (or the read's buffer itself, when it holds nothing else), so that a read of several frames costs one
 * pass through the pipeline and one write, not one a frame. A run ends before a control frame, a frame not yet whole,
 * a fault, or reserved bits the session must fail: those are decoded (or refused) one at a time, in order, after the
 * run. It reads a frame's header without consuming it until the whole frame has come ({@code ByteToMessageDecoder}
 * keeps the bytes), so a frame too big for {@code max-frame-size} is refused (1009) as soon as its header is read,
 * before its payload is held. What it faults a frame for, and in which words, is {@link FrameFaults}'. Fields on the
 * leg's event loop.
 */
final class WireFrameDecoder extends ByteToMessageDecoder implements WebSocketFrameDecoder {

  private final WebSocketDecoderConfig config;
  /** Data frames of the message under way, as Netty counts them: 0 when none is under way. */
  private int fragmentedFrames;
  private boolean receivedClose;
  private boolean corrupt;
  private boolean verbatim;
  /** Both legs pass permessage-deflate's compressed messages through: RSV1 on a message's first frame is relayed. */
  private boolean compressedMessages;

  WireFrameDecoder(WebSocketDecoderConfig config) {
    this.config = config;
  }

  /**
   * From now on, data frames go on as they came (see the class comment), with RSV1 on a message's first frame when
   * both legs pass {@code compressedMessages} through. Before the leg's first frame is read.
   */
  void relayVerbatim(boolean compressedMessages) {
    this.verbatim = true;
    this.compressedMessages = compressedMessages;
  }

  /** True when data frames go on as they came. */
  boolean verbatim() {
    return verbatim;
  }

  /**
   * The fast way: a read that brings only whole data frames to relay verbatim, with nothing held from before, goes on
   * as it is, the read's own buffer (no slice); anything else takes {@link #decode}'s way.
   */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (verbatim && !receivedClose && !corrupt && msg instanceof ByteBuf && !internalBuffer().isReadable()) {
      ByteBuf in = (ByteBuf) msg;
      long run = run(ctx, in, in.readerIndex(), false);
      if (in.isReadable() && (int) run == in.writerIndex()) {
        fragmentedFrames = (int) (run >>> 32);
        ctx.fireChannelRead(in);
        return;
      }
    }
    super.channelRead(ctx, msg);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (receivedClose || corrupt) {
      in.skipBytes(in.readableBytes()); // nothing after a close frame, or a violation, is read
      return;
    }
    int start = in.readerIndex();
    if (verbatim) {
      long run = run(ctx, in, start, true);
      int end = (int) run;
      if (end > start) {
        fragmentedFrames = (int) (run >>> 32);
        out.add(in.retainedSlice(start, end - start));
        in.skipBytes(end - start);
        return; // the next call takes what ended the run
      }
    }
    long frame = frame(ctx, in, start, fragmentedFrames, true);
    if (frame >= 0) {
      out.add(decoded(ctx, in, frame));
    }
  }

  /**
   * The run of whole data frames to relay verbatim from {@code start}: where it ends (its low 32 bits; {@code start}
   * when there is none) and the fragmented-frames count after it (its high 32 bits), nothing changed yet. It ends
   * before a control frame, a frame not yet whole, a fault, or reserved bits the session must fail. A fault at
   * {@code start} is thrown when {@code mayThrow}, else it ends the run there too.
   */
  private long run(ChannelHandlerContext ctx, ByteBuf in, int start, boolean mayThrow) {
    int at = start;
    int fragments = fragmentedFrames;
    for (long f; (f = frame(ctx, in, at, fragments, mayThrow && at == start)) >= 0 && relayed(f); ) {
      fragments = fin(f) ? 0 : fragments + 1;
      at += headerLength(f) + payloadLength(f);
    }
    return (long) fragments << 32 | at;
  }

  /** The frame's header, read and checked: not yet whole. */
  private static final long INCOMPLETE = -1;
  /** The frame's header, read and checked: a fault not thrown. */
  private static final long FAULT = -2;

  /**
   * Reads and checks the header of the frame at {@code at}, with {@code fragments} data frames of a message before
   * it, without consuming anything: {@link #INCOMPLETE} until the whole frame has come; a fault thrown when
   * {@code mayThrow} (then at the reader index: nothing before it is unread), else {@link #FAULT}; else the frame,
   * packed: its first byte, the mask bit, its header's length and its payload's.
   */
  private long frame(ChannelHandlerContext ctx, ByteBuf in, int at, int fragments, boolean mayThrow) {
    int readable = in.writerIndex() - at;
    if (readable < 2) {
      return INCOMPLETE;
    }
    int b0 = in.getByte(at) & 0xFF;
    int b1 = in.getByte(at + 1) & 0xFF;
    boolean masked = (b1 & 0x80) != 0;
    int len1 = b1 & 0x7F;
    String violation =
        FrameFaults.header(config, (b0 & 0x80) != 0, (b0 & 0x70) >> 4, b0 & 0x0F, masked, len1, fragments);
    int header = WireFrames.unmaskedHeaderLength(len1);
    long length = 0;
    WebSocketCloseStatus status = WebSocketCloseStatus.PROTOCOL_ERROR;
    if (violation == null) {
      if (readable < header) {
        return INCOMPLETE; // the extended length has not come yet
      }
      length = len1 == 126 ? in.getUnsignedShort(at + 2) : len1 == 127 ? in.getLong(at + 2) : len1;
      violation = FrameFaults.length(len1, length);
      if (violation == null && length > config.maxFramePayloadLength()) {
        status = WebSocketCloseStatus.MESSAGE_TOO_BIG;
        violation = "Max frame length of " + config.maxFramePayloadLength() + " has been exceeded.";
      }
    }
    if (violation != null) {
      if (mayThrow) {
        throw protocolViolation(ctx, in, status, violation);
      }
      return FAULT;
    }
    if (masked) {
      header += 4;
    }
    if (readable - header < length) {
      return INCOMPLETE; // the rest of the frame has not come yet: its bytes stay where they are
    }
    return (long) b0 << 48 | (long) b1 << 40 | (long) header << 32 | length; // length: at most max-frame-size
  }

  private static int opcode(long frame) {
    return (int) (frame >>> 48) & 0x0F;
  }

  private static boolean fin(long frame) {
    return (frame >>> 48 & 0x80) != 0;
  }

  private static int rsv(long frame) {
    return (int) (frame >>> 52) & 0x07;
  }

  private static boolean masked(long frame) {
    return (frame >>> 40 & 0x80) != 0;
  }

  private static int headerLength(long frame) {
    return (int) (frame >>> 32) & 0xFF;
  }

  private static int payloadLength(long frame) {
    return (int) frame;
  }

  /**
   * A frame relayed verbatim: a data frame, masked as the leg's frames must be, with no reserved bits but RSV1 on a
   * message's first frame where both legs pass compressed messages through. Others are decoded, and the session
   * fails a frame with bits it does not allow (1002).
   */
  private boolean relayed(long frame) {
    int opcode = opcode(frame);
    int rsv = rsv(frame);
    return opcode <= 7 && masked(frame) == config.expectMaskedFrames()
        && (rsv == 0 || (compressedMessages && rsv == 4 && opcode != OPCODE_CONT));
  }

  /** The frame at the reader index, whole, decoded as Netty's decoder does: its payload copied out, unmasked. */
  private Object decoded(ChannelHandlerContext ctx, ByteBuf in, long frame) {
    boolean fin = fin(frame);
    int opcode = opcode(frame);
    if (opcode <= 7) {
      fragmentedFrames = fin ? 0 : fragmentedFrames + 1;
    }
    int header = headerLength(frame);
    int payload = payloadLength(frame);
    int mask = masked(frame) ? in.getInt(in.readerIndex() + header - 4) : 0;
    in.skipBytes(header);
    ByteBuf content = Unpooled.EMPTY_BUFFER;
    if (payload > 0) {
      content = ctx.alloc().buffer(payload);
      content.writeBytes(in, payload);
      WireFrames.unmask(content, mask);
    }
    return newFrame(ctx, in, fin, rsv(frame), opcode, content);
  }

  /** A decoded frame, its payload unmasked; a close frame's body checked as Netty's decoder checks it. */
  private Object newFrame(ChannelHandlerContext ctx, ByteBuf in, boolean fin, int rsv, int opcode, ByteBuf content) {
    switch (opcode) {
      case OPCODE_PING:
        return new PingWebSocketFrame(fin, rsv, content);
      case OPCODE_PONG:
        return new PongWebSocketFrame(fin, rsv, content);
      case OPCODE_CLOSE:
        receivedClose = true;
        CorruptedWebSocketFrameException fault = FrameFaults.closeBody(content);
        if (fault != null) {
          content.release();
          throw protocolViolation(ctx, in, fault);
        }
        return new CloseWebSocketFrame(fin, rsv, content);
      case OPCODE_TEXT:
        return new TextWebSocketFrame(fin, rsv, content);
      case OPCODE_BINARY:
        return new BinaryWebSocketFrame(fin, rsv, content);
      default:
        return new ContinuationWebSocketFrame(fin, rsv, content);
    }
  }

  private CorruptedWebSocketFrameException protocolViolation(ChannelHandlerContext ctx, ByteBuf in,
      WebSocketCloseStatus status, String reason) {
    return protocolViolation(ctx, in, new CorruptedWebSocketFrameException(status, reason));
  }

  /**
   * As Netty's decoder: reads nothing more, answers with a close frame carrying the fault (none after the peer's own
   * close) and closes the connection when so configured, and returns the fault to throw, which reaches the relay as
   * an exception.
   */
  private CorruptedWebSocketFrameException protocolViolation(ChannelHandlerContext ctx, ByteBuf in,
      CorruptedWebSocketFrameException fault) {
    corrupt = true;
    in.skipBytes(in.readableBytes());
    if (ctx.channel().isActive() && config.closeOnProtocolViolation()) {
      Object close = receivedClose ? Unpooled.EMPTY_BUFFER : new CloseWebSocketFrame(fault.closeStatus(),
          fault.getMessage() != null ? fault.getMessage() : fault.closeStatus().reasonText());
      ctx.writeAndFlush(close).addListener(ChannelFutureListener.CLOSE);
    }
    return fault;
  }
}
