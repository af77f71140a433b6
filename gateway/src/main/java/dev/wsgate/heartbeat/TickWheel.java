package dev.wsgate.heartbeat;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeat ticks of one event loop's legs: a hashed timing wheel (as Netty's {@code HashedWheelTimer} and the
 * Linux kernel's timers), one slot per {@link #SLOT_NANOS} of the loop's clock, each slot a list linked through the
 * handlers themselves. The loop runs one scheduled task for all of them, armed for the earliest tick, where each leg
 * used to schedule a task of its own for every tick: no task object a leg (64 bytes of heap), none allocated per
 * tick, and no insertion into the loop's priority queue of tens of thousands of timers per tick.
 *
 * <p>A tick runs when it falls due (exactly: the task is armed for the earliest due time in the wheel's nearest slot;
 * on the 25 ms grid of {@link HeartbeatHandler#TICK_GRID_NANOS} all ticks of a slot fall due together). Ticks
 * further ahead than the wheel's turn ({@value #SLOTS} slots, 102 s) wait in their slot for their turn.
 *
 * <p>Confined to its loop: every method runs on it. A loop's wheel exists while it holds ticks; the last one removed
 * drops it.
 */
final class TickWheel implements Runnable {

  /** The width of a slot: the tick grid. */
  static final long SLOT_NANOS = HeartbeatHandler.TICK_GRID_NANOS;
  /** Slots in a turn of the wheel (a power of two): 4,096 of 25 ms, 102.4 s. */
  static final int SLOTS = 4096;
  private static final long NONE = Long.MAX_VALUE;

  private static final Logger log = LoggerFactory.getLogger(TickWheel.class);
  private static final ConcurrentMap<EventExecutor, TickWheel> WHEELS = new ConcurrentHashMap<>();

  private final EventExecutor loop;
  private final HeartbeatHandler[] slots = new HeartbeatHandler[SLOTS];
  private int count;
  /** The slot index (time / slot width) up to which ticks have run. */
  private long cursor;
  private ScheduledFuture<?> timer;
  /** When the timer is armed for, or {@link #NONE}. */
  private long timerDue = NONE;
  /** Ticks are running: the timer is armed once they have. */
  private boolean running;
  /** The wheel held no more ticks and left the loop: a handler that kept it finds the loop's wheel again. */
  private boolean dropped;

  private TickWheel(EventExecutor loop) {
    this.loop = loop;
    this.cursor = Math.floorDiv(loop.ticker().nanoTime(), SLOT_NANOS);
  }

  /** The wheel of {@code loop} (on that loop). */
  static TickWheel of(EventExecutor loop) {
    return WHEELS.computeIfAbsent(loop, TickWheel::new);
  }

  boolean dropped() {
    return dropped;
  }

  /** Ticks held by {@code loop}'s wheel: for tests. */
  static int held(EventExecutor loop) {
    TickWheel wheel = WHEELS.get(loop);
    return wheel == null ? 0 : wheel.count;
  }

  /**
   * Puts {@code h}'s next tick, due at {@code due} on the loop's clock, into the wheel (a tick due before the
   * cursor's slot goes into that slot: it runs at once).
   */
  void add(HeartbeatHandler h, long due) {
    due = Math.max(due, cursor * SLOT_NANOS);
    h.wheelDue = due;
    h.inWheel = true;
    int slot = slotOf(h);
    HeartbeatHandler head = slots[slot];
    h.wheelPrev = null;
    h.wheelNext = head;
    if (head != null) {
      head.wheelPrev = h;
    }
    slots[slot] = h;
    count++;
    if (due < timerDue && !running) {
      arm(due);
    }
  }

  /** Takes {@code h}'s tick out of the wheel; the wheel goes when it holds no more. */
  void remove(HeartbeatHandler h) {
    unlink(h);
    if (count == 0) {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      timerDue = NONE;
      drop();
    }
  }

  private void drop() {
    dropped = true;
    WHEELS.remove(loop, this);
  }

  private void unlink(HeartbeatHandler h) {
    if (h.wheelPrev != null) {
      h.wheelPrev.wheelNext = h.wheelNext;
    } else {
      slots[slotOf(h)] = h.wheelNext;
    }
    if (h.wheelNext != null) {
      h.wheelNext.wheelPrev = h.wheelPrev;
    }
    h.wheelPrev = null;
    h.wheelNext = null;
    h.inWheel = false;
    count--;
  }

  /** The slot of {@code h}'s due time. */
  private static int slotOf(HeartbeatHandler h) {
    return (int) (Math.floorDiv(h.wheelDue, SLOT_NANOS) & (SLOTS - 1));
  }

  private void arm(long due) {
    if (timer != null) {
      timer.cancel(false);
    }
    timerDue = due;
    timer = loop.schedule(this, Math.max(0, due - loop.ticker().nanoTime()), TimeUnit.NANOSECONDS);
  }

  /** The timer: runs every tick due by now, slot by slot, then arms for the next one. */
  @Override
  public void run() {
    timer = null;
    timerDue = NONE;
    long now = loop.ticker().nanoTime();
    long last = Math.floorDiv(now, SLOT_NANOS);
    HeartbeatHandler due = null;
    for (long s = cursor; s <= last && s < cursor + SLOTS; s++) {
      for (HeartbeatHandler h = slots[(int) (s & (SLOTS - 1))], next; h != null; h = next) {
        next = h.wheelNext;
        if (h.wheelDue <= now) {
          unlink(h);
          h.wheelNext = due; // a list of their own until they run: ticks added meanwhile wait for their turn
          due = h;
        }
      }
    }
    cursor = last;
    running = true;
    try {
      while (due != null) {
        HeartbeatHandler h = due;
        due = h.wheelNext;
        h.wheelNext = null;
        try {
          h.tick();
        } catch (RuntimeException e) {
          log.warn("a heartbeat tick failed", e);
        }
      }
    } finally {
      running = false;
    }
    if (count == 0) {
      drop();
    } else {
      arm(nextDue());
    }
  }

  /**
   * The earliest due time of this turn of the wheel, from the cursor on: the first slot that holds a tick of this
   * turn gives it; with only ticks of later turns, the end of this turn (the wheel then looks again). On the tick
   * grid every tick of a slot falls due at its start, so the first one found is the earliest.
   */
  private long nextDue() {
    for (long s = cursor; s < cursor + SLOTS; s++) {
      long slotStart = s * SLOT_NANOS;
      long slotEnd = slotStart + SLOT_NANOS;
      long earliest = NONE;
      for (HeartbeatHandler h = slots[(int) (s & (SLOTS - 1))]; h != null && earliest > slotStart;
          h = h.wheelNext) {
        if (h.wheelDue < slotEnd && h.wheelDue < earliest) {
          earliest = h.wheelDue;
        }
      }
      if (earliest != NONE) {
        return earliest;
      }
    }
    return (cursor + SLOTS) * SLOT_NANOS;
  }
}
