package dev.wsgate.proxy;

import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;

/**
 * How much each read of a leg asks for: Netty's adaptive guess ({@code AdaptiveRecvByteBufAllocator}, the same table,
 * bounds and rule: 2 KiB to start, up four steps when a read filled its buffer, down one step after two reads that
 * would have fit a step lower, between 64 bytes and 64 KiB), with the guess kept in the handle's own fields. Netty's
 * handle keeps it in an {@code AdaptiveCalculator} object of its own, 40 bytes a connection more: an idle session
 * holds two handles.
 */
final class LegReads extends DefaultMaxMessagesRecvByteBufAllocator {

  /** Netty's size table: 16 to 496 in steps of 16, then powers of two from 512. */
  private static final int[] SIZES = sizes();
  private static final int MIN_INDEX = indexOf(64);
  private static final int INITIAL_INDEX = indexOf(2048);
  private static final int MAX_INDEX = indexOf(64 * 1024);
  private static final int STEPS_UP = 4;
  private static final int STEPS_DOWN = 1;

  private static int[] sizes() {
    int[] sizes = new int[31 + 31 - 9];
    int i = 0;
    for (int s = 16; s < 512; s += 16) {
      sizes[i++] = s;
    }
    for (int s = 512; s > 0 && i < sizes.length; s <<= 1) {
      sizes[i++] = s;
    }
    return sizes;
  }

  private static int indexOf(int size) {
    for (int i = 0; i < SIZES.length; i++) {
      if (SIZES[i] == size) {
        return i;
      }
    }
    throw new IllegalArgumentException("not in the size table: " + size);
  }

  @Override
  public Handle newHandle() {
    return new Guess();
  }

  /** A leg's guess: an index into the size table, and whether the last read would have fit a step lower. */
  final class Guess extends MaxMessageHandle {

    private int index = INITIAL_INDEX;
    private boolean decreaseNow;

    @Override
    public int guess() {
      return SIZES[index];
    }

    @Override
    public void lastBytesRead(int bytes) {
      // A read that filled its buffer: more may be waiting, so grow now rather than at the batch's end.
      if (bytes == attemptedBytesRead()) {
        record(bytes);
      }
      super.lastBytesRead(bytes);
    }

    @Override
    public void readComplete() {
      record(totalBytesRead());
    }

    private void record(int size) {
      if (size <= SIZES[Math.max(0, index - STEPS_DOWN)]) {
        if (decreaseNow) {
          index = Math.max(index - STEPS_DOWN, MIN_INDEX);
          decreaseNow = false;
        } else {
          decreaseNow = true;
        }
      } else if (size >= SIZES[index]) {
        index = Math.min(index + STEPS_UP, MAX_INDEX);
        decreaseNow = false;
      }
    }
  }
}
