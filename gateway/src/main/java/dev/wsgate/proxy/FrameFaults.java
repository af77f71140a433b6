package dev.wsgate.proxy;

import static dev.wsgate.proxy.WireFrames.OPCODE_BINARY;
import static dev.wsgate.proxy.WireFrames.OPCODE_CLOSE;
import static dev.wsgate.proxy.WireFrames.OPCODE_CONT;
import static dev.wsgate.proxy.WireFrames.OPCODE_PING;
import static dev.wsgate.proxy.WireFrames.OPCODE_PONG;
import static dev.wsgate.proxy.WireFrames.OPCODE_TEXT;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;

/**
 * What Netty's {@code WebSocket13FrameDecoder} faults a frame for (RFC 6455 5.2, 5.5, 7.4), in its order and with its
 * words, for {@link WireFrameDecoder}, which must answer a peer exactly as Netty's decoder did: the same close code,
 * the same reason. The frame's size against {@code max-frame-size} (1009) stays with the decoder, which holds the
 * limit.
 */
final class FrameFaults {

  private FrameFaults() {
  }

  /**
   * The first two bytes' faults, with {@code fragments} data frames of a message before the frame; null when there are
   * none.
   */
  static String header(WebSocketDecoderConfig config, boolean fin, int rsv, int opcode, boolean masked, int len1,
      int fragments) {
    if (rsv != 0 && !config.allowExtensions()) {
      return "RSV != 0 and no extension negotiated, RSV:" + rsv;
    }
    if (!config.allowMaskMismatch() && config.expectMaskedFrames() != masked) {
      return "received a frame that is not masked as expected";
    }
    if (opcode > 7) {
      if (!fin) {
        return "fragmented control frame";
      }
      if (len1 > 125) {
        return "control frame with payload length > 125 octets";
      }
      if (opcode != OPCODE_CLOSE && opcode != OPCODE_PING && opcode != OPCODE_PONG) {
        return "control frame using reserved opcode " + opcode;
      }
      if (opcode == OPCODE_CLOSE && len1 == 1) {
        return "received close control frame with payload len 1";
      }
      return null;
    }
    if (opcode != OPCODE_CONT && opcode != OPCODE_TEXT && opcode != OPCODE_BINARY) {
      return "data frame using reserved opcode " + opcode;
    }
    if (fragments == 0 && opcode == OPCODE_CONT) {
      return "received continuation data frame outside fragmented message";
    }
    if (fragments != 0 && opcode != OPCODE_CONT) {
      return "received non-continuation data frame while inside fragmented message";
    }
    return null;
  }

  /** The extended length's faults: not the shortest encoding, or negative; null when there are none. */
  static String length(int len1, long length) {
    if ((len1 == 126 && length < 126) || (len1 == 127 && length >= 0 && length < 65536)) {
      return "invalid data frame length (not using minimal length encoding)";
    }
    if (length < 0) {
      return "invalid data frame length (negative length)";
    }
    return null;
  }

  /**
   * What is wrong with a close frame's body, as Netty's decoder sees it: a code without its second byte, a code
   * RFC 6455 does not allow on the wire, a reason that cannot be UTF-8; null when nothing is.
   */
  static CorruptedWebSocketFrameException closeBody(ByteBuf body) {
    int length = body.readableBytes();
    if (length == 0) {
      return null;
    }
    if (length < 2) {
      return new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA,
          "Invalid close frame body");
    }
    int code = body.getShort(body.readerIndex());
    if (!WebSocketCloseStatus.isValidStatusCode(code)) {
      return new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR,
          "Invalid close frame getStatus code: " + code);
    }
    if (length > 2 && Utf8Check.scan(Utf8Check.ACCEPT, body.slice(body.readerIndex() + 2, length - 2))
        == Utf8Check.REJECT) {
      return new CorruptedWebSocketFrameException(WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "bytes are not UTF-8");
    }
    return null;
  }
}
