package dev.wsgate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reports a leaked buffer during it. Registered for every test class
 * (META-INF/services, with autodetection on); the detector runs at PARANOID level (see the POM), so every buffer is
 * tracked. Leaks are reported by Netty's logger, which {@link LeakRecordingAppender} records.
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterAllCallback {

  @Override
  public void beforeAll(ExtensionContext context) {
    if (ResourceLeakDetector.getLevel() != ResourceLeakDetector.Level.PARANOID) {
      throw new IllegalStateException("tests must run with -Dio.netty.leakDetection.level=paranoid");
    }
    collectLeaks();
    LeakRecordingAppender.drain();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    collectLeaks();
    List<String> leaks = LeakRecordingAppender.drain();
    assertThat(leaks).as("Netty buffer leaks reported during %s", context.getDisplayName()).isEmpty();
  }

  /** Makes the detector report what it can: garbage-collect, then allocate, which is when it reports. */
  public static void collectLeaks() {
    for (int round = 0; round < 5; round++) {
      System.gc();
      System.runFinalization();
      List<ByteBuf> bufs = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        bufs.add(PooledByteBufAllocator.DEFAULT.directBuffer(16));
        bufs.add(UnpooledByteBufAllocator.DEFAULT.heapBuffer(16));
        bufs.add(PooledByteBufAllocator.DEFAULT.heapBuffer(16));
      }
      bufs.forEach(ByteBuf::release);
      Thread.yield(); // lets the reference handler thread enqueue what the collection found
    }
  }
}
