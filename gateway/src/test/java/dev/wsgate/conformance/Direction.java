package dev.wsgate.conformance;

import dev.wsgate.config.Leg;
import java.util.stream.Stream;

/**
 * Which way a case runs through wsgate: a raw peer on one leg sends, the raw peer on the other leg observes. Every
 * conformance case runs both ways, since each leg has a decoder, a heartbeat handler and a relay of its own.
 *
 * <p>What the other leg is told when the sender breaks the protocol (README, "Close codes"): a client at fault is
 * "going away" (1001) for the upstream, an upstream at fault is a "bad gateway" (1014) for the client, and the
 * reason names the leg at fault.
 */
enum Direction {
  CLIENT_TO_UPSTREAM(Leg.CLIENT, "client→upstream", 1001),
  UPSTREAM_TO_CLIENT(Leg.UPSTREAM, "upstream→client", 1014);

  private final Leg sender;
  private final String label;
  private final int toOtherLegOnFault;

  Direction(Leg sender, String label, int toOtherLegOnFault) {
    this.sender = sender;
    this.label = label;
    this.toOtherLegOnFault = toOtherLegOnFault;
  }

  static Stream<Direction> both() {
    return Stream.of(values());
  }

  /** The leg whose peer sends. */
  Leg sender() {
    return sender;
  }

  /** The leg whose peer observes. */
  Leg receiver() {
    return sender.other();
  }

  /** The other way round. */
  Direction reverse() {
    return this == CLIENT_TO_UPSTREAM ? UPSTREAM_TO_CLIENT : CLIENT_TO_UPSTREAM;
  }

  /** Whether the sender masks its frames, as a client must and a server must not. */
  boolean senderMasks() {
    return sender == Leg.CLIENT;
  }

  /** The close code the receiver gets when the sender broke the protocol. */
  int codeToReceiverOnFault() {
    return toOtherLegOnFault;
  }

  /** How the reason the receiver gets then begins: the leg at fault. */
  String reasonPrefixOnFault() {
    return sender.yamlName() + ": ";
  }

  @Override
  public String toString() {
    return label;
  }
}
