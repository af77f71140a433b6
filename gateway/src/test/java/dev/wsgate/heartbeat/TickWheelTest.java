package dev.wsgate.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsgate.config.HeartbeatMode;
import dev.wsgate.config.HeartbeatSettings;
import dev.wsgate.config.Leg;
import dev.wsgate.config.TextHeartbeat;
import dev.wsgate.metrics.HeartbeatMeters;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The legs of one event loop share its wheel: one scheduled task for all their ticks, which run when due, near and
 * far, and nothing stays behind once the legs are gone. (The ticks' own rules are {@link HeartbeatHandlerTest}'s.)
 */
class TickWheelTest {

  /** Ticks fall due on the grid, at most a step after their time (the clock does not start on the grid). */
  private static final Duration STEP = Duration.ofNanos(HeartbeatHandler.TICK_GRID_NANOS);

  private final EmbeddedChannel channel = new EmbeddedChannel();

  @AfterEach
  void tearDown() {
    channel.finishAndReleaseAll();
  }

  private static HeartbeatSettings every(Duration interval) {
    return new HeartbeatSettings(interval, Duration.ZERO, HeartbeatMode.FRAME, TextHeartbeat.defaults(), 4408);
  }

  /** A leg that pings every {@code interval} of silence, on the 25 ms grid. */
  private HeartbeatHandler leg(Duration interval) {
    HeartbeatSettings s = every(interval);
    HeartbeatHandler h = new HeartbeatHandler(new LegHeartbeat(Leg.CLIENT, s, false, HeartbeatMeters.NONE),
        HeartbeatTiming.of(s, 0.0));
    channel.pipeline().addFirst(h);
    return h;
  }

  /** Moves the clock in 5 ms steps, running what falls due at each, as time flows for a real event loop. */
  private void advance(Duration d) {
    for (long ms = 0; ms < d.toMillis(); ms += 5) {
      channel.advanceTimeBy(5, TimeUnit.MILLISECONDS);
      channel.runScheduledPendingTasks();
    }
    for (Object o; (o = channel.readOutbound()) != null; ) {
      ReferenceCountUtil.release(o);
    }
  }

  @Test
  void legsOfOneLoopShareOneTaskAndTickWhenDueNearAndFar() {
    channel.freezeTime();
    List<HeartbeatHandler> legs = new ArrayList<>();
    for (int i = 1; i <= 50; i++) {
      legs.add(leg(Duration.ofMillis(100L * i))); // 0.1 s to 5 s
    }
    HeartbeatHandler far = leg(Duration.ofSeconds(250)); // more than two turns of the wheel (102.4 s)
    assertThat(TickWheel.held(channel.eventLoop())).isEqualTo(51);
    assertThat(channel.runScheduledPendingTasks()).as("armed").isPositive();
    advance(Duration.ofSeconds(10).plus(STEP));
    for (int i = 0; i < legs.size(); i++) {
      long every = 100L * (i + 1);
      assertThat(legs.get(i).pingsSent()).as("leg pinging every %d ms, after 10 s", every)
          .isEqualTo(10_000 / every);
    }
    assertThat(far.pingsSent()).isZero();
    advance(Duration.ofSeconds(240).minus(STEP).minus(STEP));
    assertThat(far.pingsSent()).as("not before 250 s").isZero();
    advance(STEP.plus(STEP));
    assertThat(far.pingsSent()).as("at 250 s, past two turns").isEqualTo(1);
  }

  @Test
  void legsLeaveTheWheelInAnyOrderAndTheLastTakesTheTimerAndWheelWithIt() {
    channel.freezeTime();
    HeartbeatHandler a = leg(Duration.ofSeconds(1));
    HeartbeatHandler b = leg(Duration.ofSeconds(1)); // the same slot: the list is c, b, a
    HeartbeatHandler c = leg(Duration.ofSeconds(1));
    channel.pipeline().remove(b); // from the middle of the list
    advance(Duration.ofSeconds(1).plus(STEP));
    assertThat(a.pingsSent()).isEqualTo(1);
    assertThat(c.pingsSent()).isEqualTo(1);
    assertThat(b.pingsSent()).isZero();
    channel.pipeline().remove(c); // the head
    channel.pipeline().remove(a);
    assertThat(TickWheel.held(channel.eventLoop())).isZero();
    assertThat(channel.runScheduledPendingTasks()).as("nothing scheduled any more").isEqualTo(-1);
    HeartbeatHandler again = leg(Duration.ofSeconds(1));
    advance(Duration.ofSeconds(1).plus(STEP));
    assertThat(again.pingsSent()).as("a new wheel once there are legs again").isEqualTo(1);
  }

  @Test
  void aLegStoppedWhileItsTickWaitsToRunIsNotTickedAndGivesItsIndexBack() {
    channel.freezeTime();
    HeartbeatHandler a = leg(Duration.ofSeconds(1));
    HeartbeatHandler b = leg(Duration.ofSeconds(1)); // the same slot: their ticks run in one go
    channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        // the first tick to run stops both legs: its own (ticking now) and the other (taken out, waiting to run)
        ctx.pipeline().remove(a);
        ctx.pipeline().remove(b);
        ctx.pipeline().remove(this);
      }
    });
    advance(Duration.ofSeconds(1).plus(STEP));
    assertThat(a.pingsSent() + b.pingsSent()).as("only the first tick ran").isEqualTo(1);
    assertThat(TickWheel.held(channel.eventLoop())).isZero();
    assertThat(channel.runScheduledPendingTasks()).as("nothing scheduled any more").isEqualTo(-1);
    HeartbeatHandler again = leg(Duration.ofSeconds(1));
    advance(Duration.ofSeconds(1).plus(STEP));
    assertThat(again.pingsSent()).isEqualTo(1);
  }

  @Test
  void indicesGivenBackAreTakenAgainAndTheArraysGrowPastTheirFirstSize() {
    channel.freezeTime();
    List<HeartbeatHandler> legs = new ArrayList<>();
    for (int i = 0; i < 200; i++) { // past the first 64 indices
      legs.add(leg(Duration.ofMillis(500)));
    }
    for (int i = 0; i < 200; i += 2) {
      channel.pipeline().remove(legs.get(i));
    }
    for (int i = 0; i < 100; i++) { // into the indices given back
      legs.add(leg(Duration.ofMillis(500)));
    }
    assertThat(TickWheel.held(channel.eventLoop())).isEqualTo(200);
    advance(Duration.ofSeconds(1).plus(STEP));
    for (int i = 0; i < legs.size(); i++) {
      assertThat(legs.get(i).pingsSent()).as("leg %d", i).isEqualTo(i < 200 && i % 2 == 0 ? 0 : 2);
    }
  }
}
