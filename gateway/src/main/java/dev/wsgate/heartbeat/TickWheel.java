package dev.wsgate.heartbeat;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heartbeat ticks of one event loop's legs: a hashed timing wheel (as Netty's {@code HashedWheelTimer} and the
 * Linux kernel's timers), one slot per {@link #SLOT_NANOS} of the loop's clock. The loop runs one scheduled task for
 * all of them, armed for the earliest tick, where each leg used to schedule a task of its own for every tick: no task
 * object a leg, none allocated per tick, and no insertion into the loop's priority queue of tens of thousands of
 * timers per tick.
 *
 * <p><b>Indices, not references.</b> Each leg takes an index into the wheel's arrays once, when its first tick goes
 * in, and gives it back when it stops; a slot's ticks are a list linked through {@code int} arrays. Moving a tick from
 * slot to slot, several times a second a leg, so stores only {@code int}s and {@code long}s into arrays: a reference
 * stored into an old object (the handlers of held sessions are old) is a G1 write barrier that dirties a card for the
 * concurrent refinement threads to scan, which a profile showed as a tenth of a heartbeat's CPU. The one reference
 * store a leg is its entry in {@link #legs}, once. The arrays grow by doubling and keep their size (about 20 bytes a
 * leg, 30 on average with the room of the last doubling).
 *
 * <p>A tick runs when it falls due (exactly: the task is armed for the earliest due time in the wheel's nearest slot;
 * on the 25 ms grid of {@link HeartbeatHandler#TICK_GRID_NANOS} all ticks of a slot fall due together), with the
 * clock read once for all ticks that run together. Ticks further ahead than the wheel's turn ({@value #SLOTS} slots,
 * 102 s) wait in their slot for their turn.
 *
 * <p>Confined to its loop: every method runs on it. A loop's wheel exists while legs hold indices in it; the last
 * one given back drops it.
 */
final class TickWheel implements Runnable {

  /** The width of a slot: the tick grid. */
  static final long SLOT_NANOS = HeartbeatHandler.TICK_GRID_NANOS;
  /** Slots in a turn of the wheel (a power of two): 4,096 of 25 ms, 102.4 s. */
  static final int SLOTS = 4096;
  private static final long NONE = Long.MAX_VALUE;
  /** The end of a list, and a leg without an index. */
  static final int NIL = -1;
  /** The due time of an index whose tick was taken out to run and has not been put back yet. */
  private static final long RUNNING = Long.MIN_VALUE;
  /** The due time of an index that holds no tick (its leg's tick did not go back in). */
  private static final long OUT = Long.MIN_VALUE + 1;

  private static final Logger log = LoggerFactory.getLogger(TickWheel.class);
  private static final ConcurrentMap<EventExecutor, TickWheel> WHEELS = new ConcurrentHashMap<>();

  private final EventExecutor loop;
  /** The first index of each slot's list, or {@link #NIL}. */
  private final int[] heads = new int[SLOTS];
  /** By index: the leg (null for a free index), its neighbours in its slot's list, its tick's due time. */
  private HeartbeatHandler[] legs = new HeartbeatHandler[64];
  private int[] next = new int[64];
  private int[] prev = new int[64];
  private long[] due = new long[64];
  /** Free indices, a list through {@link #next}; indices from {@link #fresh} on were never used. */
  private int free = NIL;
  private int fresh;
  /** Indices held by legs, and ticks in the slots. */
  private int held;
  private int ticks;
  /** The slot index (time / slot width) up to which ticks have run. */
  private long cursor;
  private ScheduledFuture<?> timer;
  /** When the timer is armed for, or {@link #NONE}. */
  private long timerDue = NONE;
  /** Ticks are running: the timer is armed once they have. */
  private boolean running;
  /** No leg held an index any more and the wheel left the loop: a handler that kept it finds the loop's again. */
  private boolean dropped;

  private TickWheel(EventExecutor loop) {
    this.loop = loop;
    this.cursor = Math.floorDiv(loop.ticker().nanoTime(), SLOT_NANOS);
    Arrays.fill(heads, NIL);
  }

  /** The wheel of {@code loop} (on that loop). */
  static TickWheel of(EventExecutor loop) {
    return WHEELS.computeIfAbsent(loop, TickWheel::new);
  }

  boolean dropped() {
    return dropped;
  }

  /** Legs holding an index in {@code loop}'s wheel: for tests. */
  static int held(EventExecutor loop) {
    TickWheel wheel = WHEELS.get(loop);
    return wheel == null ? 0 : wheel.held;
  }

  /**
   * Puts {@code h}'s next tick, due at {@code at} on the loop's clock, into the wheel, taking an index for {@code h}
   * if it holds none (a tick due before the cursor's slot goes into that slot: it runs at once). {@code h} holds no
   * tick in the wheel now.
   */
  void add(HeartbeatHandler h, long at) {
    int i = h.wheelIndex;
    if (i == NIL) {
      i = h.wheelIndex = take(h);
    }
    at = Math.max(at, cursor * SLOT_NANOS);
    due[i] = at;
    int slot = slotOf(at);
    int head = heads[slot];
    prev[i] = NIL;
    next[i] = head;
    if (head != NIL) {
      prev[head] = i;
    }
    heads[slot] = i;
    ticks++;
    if (at < timerDue && !running) {
      arm(at);
    }
  }

  /** True when {@code h}'s next tick is in the wheel. */
  boolean holdsTick(HeartbeatHandler h) {
    int i = h.wheelIndex;
    return i != NIL && due[i] != RUNNING && due[i] != OUT;
  }

  /**
   * Takes {@code h}'s tick out of the wheel, if it is in, and gives its index back; the wheel goes when none is held.
   */
  void remove(HeartbeatHandler h) {
    int i = h.wheelIndex;
    if (i == NIL) {
      return;
    }
    h.wheelIndex = NIL;
    if (due[i] == RUNNING) {
      legs[i] = null; // taken out to run: the run gives the index back when it comes to it
      return;
    }
    if (due[i] != OUT) {
      unlink(i);
    }
    release(i);
  }

  private int take(HeartbeatHandler h) {
    int i;
    if (free != NIL) {
      i = free;
      free = next[i];
    } else {
      if (fresh == legs.length) {
        int n = legs.length * 2;
        legs = Arrays.copyOf(legs, n);
        next = Arrays.copyOf(next, n);
        prev = Arrays.copyOf(prev, n);
        due = Arrays.copyOf(due, n);
      }
      i = fresh++;
    }
    legs[i] = h;
    due[i] = OUT;
    held++;
    return i;
  }

  private void release(int i) {
    legs[i] = null;
    due[i] = OUT;
    next[i] = free;
    free = i;
    if (--held == 0) {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      timerDue = NONE;
      dropped = true;
      WHEELS.remove(loop, this);
    }
  }

  private void unlink(int i) {
    int p = prev[i];
    int n = next[i];
    if (p != NIL) {
      next[p] = n;
    } else {
      heads[slotOf(due[i])] = n;
    }
    if (n != NIL) {
      prev[n] = p;
    }
    ticks--;
  }

  /** The slot of a due time. */
  private static int slotOf(long at) {
    return (int) (Math.floorDiv(at, SLOT_NANOS) & (SLOTS - 1));
  }

  private void arm(long at) {
    if (timer != null) {
      timer.cancel(false);
    }
    timerDue = at;
    timer = loop.schedule(this, Math.max(0, at - loop.ticker().nanoTime()), TimeUnit.NANOSECONDS);
  }

  /** The timer: runs every tick due by now, slot by slot, then arms for the next one. */
  @Override
  public void run() {
    timer = null;
    timerDue = NONE;
    long now = loop.ticker().nanoTime();
    long last = Math.floorDiv(now, SLOT_NANOS);
    int run = NIL; // the ticks to run, a list of their own: ticks added meanwhile wait for their turn
    for (long s = cursor; s <= last && s < cursor + SLOTS; s++) {
      for (int i = heads[(int) (s & (SLOTS - 1))], n; i != NIL; i = n) {
        n = next[i];
        if (due[i] <= now) {
          unlink(i);
          due[i] = RUNNING;
          next[i] = run;
          run = i;
        }
      }
    }
    cursor = last;
    running = true;
    try {
      while (run != NIL) {
        int i = run;
        run = next[i];
        HeartbeatHandler h = legs[i];
        due[i] = OUT;
        if (h == null) {
          release(i); // its leg stopped while its tick waited to run
          continue;
        }
        try {
          h.tick(now);
        } catch (RuntimeException e) {
          log.warn("a heartbeat tick failed", e);
        }
      }
    } finally {
      running = false;
    }
    if (ticks > 0 && !dropped) {
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
      for (int i = heads[(int) (s & (SLOTS - 1))]; i != NIL && earliest > slotStart; i = next[i]) {
        if (due[i] < slotEnd && due[i] < earliest) {
          earliest = due[i];
        }
      }
      if (earliest != NONE) {
        return earliest;
      }
    }
    return (cursor + SLOTS) * SLOT_NANOS;
  }
}
