package dev.wsgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link LegReads} guesses as Netty's adaptive allocator does, read after read. */
class LegReadsTest {

  @Test
  @SuppressWarnings("deprecation")
  void guessesAsNettysAdaptiveAllocator() {
    EmbeddedChannel channel = new EmbeddedChannel();
    RecvByteBufAllocator.ExtendedHandle ours = (RecvByteBufAllocator.ExtendedHandle) new LegReads().newHandle();
    RecvByteBufAllocator.ExtendedHandle netty =
        (RecvByteBufAllocator.ExtendedHandle) new AdaptiveRecvByteBufAllocator().newHandle();
    Random random = new Random(7);
    int changes = 0;
    int last = netty.guess();
    for (int batch = 0; batch < 20_000; batch++) {
      ours.reset(channel.config());
      netty.reset(channel.config());
      int reads = 1 + random.nextInt(4);
      for (int r = 0; r < reads; r++) {
        assertThat(ours.guess()).as("batch %d, read %d", batch, r).isEqualTo(netty.guess());
        int asked = netty.guess();
        ours.attemptedBytesRead(asked);
        netty.attemptedBytesRead(asked);
        // Small reads, reads that fill the buffer, and everything in between.
        int got = switch (random.nextInt(3)) {
          case 0 -> 1 + random.nextInt(200);
          case 1 -> asked;
          default -> 1 + random.nextInt(asked);
        };
        ours.lastBytesRead(got);
        netty.lastBytesRead(got);
        ours.incMessagesRead(1);
        netty.incMessagesRead(1);
      }
      ours.readComplete();
      netty.readComplete();
      assertThat(ours.guess()).as("after batch %d", batch).isEqualTo(netty.guess());
      changes += netty.guess() != last ? 1 : 0;
      last = netty.guess();
    }
    assertThat(changes).as("the guess went up and down").isGreaterThan(1000);
    channel.finishAndReleaseAll();
  }
}
