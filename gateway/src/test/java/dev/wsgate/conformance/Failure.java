package dev.wsgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.Leg;
import dev.wsgate.testing.Awaits;
import dev.wsgate.testing.WsEndpoint;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What bad input from the sender of a {@link Direction} must lead to (README, "Close codes"): the sender is failed
 * (a close frame with the code, or, when it had sent a close frame already, its connection dropped without one), the
 * receiver gets 1001 (client at fault) or 1014 (upstream at fault) with a reason naming the leg at fault, and the
 * error is counted once for the sender's leg. Take it before the bad input (it notes the count), check it after.
 *
 * <p>Both ends are watched at once, so that a wrong outcome at either end fails the case at once rather than after
 * a read timeout at the other.
 */
final class Failure {

  /** How the sender must be failed. */
  private enum Sender {
    CLOSED, DROPPED, CLOSED_OR_DROPPED
  }

  private final Rig rig;
  private final Direction d;
  private final int code;
  private final double countedBefore;

  private Failure(Rig rig, Direction d, int code) {
    this.rig = rig;
    this.d = d;
    this.code = code;
    this.countedBefore = rig.protocolErrors(d.sender(), code);
  }

  /** Bad input from the sender of {@code d} that must be answered with (and counted as) {@code code}. */
  static Failure expect(Rig rig, Direction d, int code) {
    return new Failure(rig, d, code);
  }

  /** The sender got a close frame with the code and then lost its connection; the rest as in the class comment. */
  void senderClosed(Proxied s) throws Exception {
    check(s, Sender.CLOSED);
  }

  /** The sender, which had sent a close frame, lost its connection without a close frame from wsgate. */
  void senderDropped(Proxied s) throws Exception {
    check(s, Sender.DROPPED);
  }

  /** The sender lost its connection, after a close frame with the code or without one (RFC 6455, 7.1.7). */
  void senderClosedOrDropped(Proxied s) throws Exception {
    check(s, Sender.CLOSED_OR_DROPPED);
  }

  private void check(Proxied s, Sender how) throws Exception {
    CompletableFuture<Next> atSender = Next.async(s.from(d));
    CompletableFuture<Next> atReceiver = Next.async(s.to(d));
    Async.first(atSender, atReceiver, Proxied.READ_TIMEOUT.plusSeconds(1), d + ": anything at either end");
    // Whichever end saw something first is checked first: a wrong outcome fails the case without further waiting.
    if (atSender.isDone()) {
      checkSender(s, join(atSender, "sender"), how);
      checkReceiver(s, join(atReceiver, "receiver"));
    } else {
      checkReceiver(s, join(atReceiver, "receiver"));
      checkSender(s, join(atSender, "sender"), how);
    }
    Awaits.until(d.sender() + " " + code + " counted once", Duration.ofSeconds(5),
        () -> rig.protocolErrors(d.sender(), code) >= countedBefore + 1);
    assertThat(rig.protocolErrors(d.sender(), code)).as("%s: protocol errors counted for the %s with %d", d,
        d.sender(), code).isEqualTo(countedBefore + 1);
  }

  private void checkSender(Proxied s, Next next, Sender how) throws Exception {
    WsEndpoint sender = s.from(d);
    Leg leg = d.sender();
    switch (how) {
      case DROPPED -> assertThat(next.eof()).as("%s: the %s (it had sent a close) is dropped without a close "
          + "frame, got %s", d, leg, next).isTrue();
      case CLOSED -> assertThat(next.isClose(code)).as("%s: the %s gets close %d, got %s", d, leg, code, next)
          .isTrue();
      case CLOSED_OR_DROPPED -> assertThat(next.eof() || next.isClose(code))
          .as("%s: the %s gets close %d or is dropped, got %s", d, leg, code, next).isTrue();
      default -> throw new IllegalStateException();
    }
    if (!next.eof()) {
      Next after = Next.of(sender);
      assertThat(after.eof()).as("%s: after its close, the %s's connection is closed, got %s", d, leg, after)
          .isTrue();
    }
  }

  private void checkReceiver(Proxied s, Next next) throws Exception {
    WsEndpoint receiver = s.to(d);
    Leg leg = d.receiver();
    assertThat(next.isClose(d.codeToReceiverOnFault())).as("%s: the %s gets close %d, got %s", d, leg,
        d.codeToReceiverOnFault(), next).isTrue();
    assertThat(next.frame().closeReason()).as("%s: the reason of the close the %s gets", d, leg)
        .startsWith(d.reasonPrefixOnFault());
    receiver.sendClose(d.codeToReceiverOnFault(), "");
    if (leg == Leg.CLIENT) {
      Next after = Next.of(receiver);
      assertThat(after.eof()).as("%s: wsgate closes the client connection after the close handshake, got %s", d,
          after).isTrue();
    } else {
      receiver.close(); // the upstream, the server on its leg, closes TCP
    }
  }

  private Next join(CompletableFuture<Next> f, String end) throws Exception {
    return Async.join(f, Proxied.READ_TIMEOUT.plusSeconds(1), d + ": what the " + end + " sees");
  }
}
