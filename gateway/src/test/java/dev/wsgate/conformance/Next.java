package dev.wsgate.conformance;

import dev.wsgate.testing.WsEndpoint;
import dev.wsgate.testing.WsFrame;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletableFuture;

/**
 * What one end of a session sees next, read strictly (pings are not answered, nothing is skipped): a frame, the
 * end of its connection, or nothing within its socket's read timeout.
 *
 * @param frame the frame, or null
 * @param eof   true when the connection ended (FIN or reset) before a frame
 */
record Next(WsFrame frame, boolean eof) {

  static Next of(WsEndpoint end) throws IOException {
    try {
      return new Next(end.read(), false);
    } catch (SocketTimeoutException nothing) {
      return new Next(null, false);
    } catch (EOFException | SocketException gone) {
      return new Next(null, true);
    }
  }

  /** Reads on a thread of its own, so that both ends of a session can be watched at once. */
  static CompletableFuture<Next> async(WsEndpoint end) {
    return Async.call(() -> of(end));
  }

  boolean isClose() {
    return frame != null && frame.opcode() == WsFrame.CLOSE;
  }

  boolean isClose(int code) {
    return isClose() && frame.closeCode() == code;
  }

  @Override
  public String toString() {
    if (frame != null) {
      return Frames.describe(frame);
    }
    return eof ? "the connection closed" : "nothing within the read timeout";
  }
}
