package io.sluice;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/*
 * Priority shares: each level has a share of the limit (CRITICAL_PLUS all of it; the others fixed
 * fractions, 2^-32 fixed point rounded up) that applies only under contention. `cappedFrom` is the
 * first level held to its share (LEVELS: none); acquire reads it next to the limit, in the same
 * cache line, and admits work of a capped level only within its share (refused: PRIORITY_SHED;
 * beyond the limit itself: LIMIT_REACHED). A refusal of a level presses the levels below it: it
 * lowers cappedFrom by CAS at once and writes the window number into pressedIn[level] (opaque;
 * once per window). While shares are in force, an admission of an uncapped level that lands above
 * the lowest level's share is using the room reserved for the levels above, and refreshes the
 * press of the level that put the shares in force (cappedFrom - 1); so the shares hold while the
 * higher levels need them, without the refusals that would otherwise recur each time they lapse.
 * (An admission of a capped level never refreshes them: otherwise CRITICAL work between the
 * lowest share and its own would keep itself capped long after CRITICAL_PLUS work was gone.) The
 * window closer lifts the shares of levels no higher level pressed in the last HOLD_WINDOWS
 * windows, by one CAS from the value it read: if a press lowered it meanwhile, the press stands
 * (and a press it overwrote is restored by the next refusal). A fixed share
 * alone (always in force) would idle capacity whenever only the lower levels have demand; an
 * adaptive share per level would need a count of units per level on every acquire and release.
 * Here the hot-path cost is a read and a compare, and, under contention, a multiply.
 */
/** The priority-shares rule of the limiter, on its padded fields; see the design comment. */
abstract class LimiterPriorities extends LimiterLayout.Fields {
  /** Shares are fixed-point fractions of 2^SHARE_BITS, rounded up: exact to 2^-12 of a unit. */
  static final int SHARE_BITS = 32;
  /** Windows the shares stay in force after the last refusal or reserve use that pressed them. */
  static final int HOLD_WINDOWS = 4;
  private static final int LEVELS = Priority.LEVELS;
  private static final VarHandle CAPPED_FROM;
  private static final VarHandle PRESSED = MethodHandles.arrayElementVarHandle(long[].class);

  static {
    try {
      CAPPED_FROM = MethodHandles.lookup()
          .findVarHandle(LimiterLayout.Fields.class, "cappedFrom", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The share of the limit each level may fill while shares are in force, in 2^-SHARE_BITS. */
  private final long[] shares = new long[LEVELS];
  /**
   * Per level but the lowest: the window (count of windows closed) in which a refusal of that
   * level, or its use of the reserve, last pressed the shares of the levels below it.
   */
  private final long[] pressedIn = new long[LEVELS - 1];

  /** Takes each level's share of the limit, by ordinal, as fractions in [0, 1]. */
  LimiterPriorities(double[] levelShares) {
    for (int level = 0; level < LEVELS; level++) {
      // Rounded up, so that a share that is a whole number of units (0.9 of 10) is not one less.
      shares[level] = (long) Math.ceil(levelShares[level] * (1L << SHARE_BITS));
    }
    Arrays.fill(pressedIn, -HOLD_WINDOWS - 1L);
    this.cappedFrom = LEVELS;
  }

  /** The units work of {@code level} may bring in flight while the shares are in force. */
  final int share(int limitNow, int level) {
    return (int) (limitNow * shares[level] >>> SHARE_BITS);
  }

  /**
   * Work of a level held to no share was admitted while shares are in force: if it took room the
   * lowest level may not use, the reserve is in use, so the shares stay in force (see the design
   * comment). Capped work never refreshes them: a level's own demand must not keep it capped.
   */
  final void noteReserveUse(int from, int inFlightAfter, int limitNow) {
    if (inFlightAfter > share(limitNow, LEVELS - 1)) {
      long window = windowsClosed;
      if ((long) PRESSED.getOpaque(pressedIn, from - 1) != window) {
        PRESSED.setOpaque(pressedIn, from - 1, window);
      }
    }
  }

  /**
   * Work of {@code level} was refused for lack of room: the shares of the levels below it come
   * into force now and stay until HOLD_WINDOWS windows pass without another such refusal.
   */
  final void press(int level) {
    long window = windowsClosed;
    if ((long) PRESSED.getOpaque(pressedIn, level) != window) {
      PRESSED.setOpaque(pressedIn, level, window);
    }
    int from = level + 1;
    int current = cappedFrom;
    while (from < current) {
      int witness = (int) CAPPED_FROM.compareAndExchange(this, current, from);
      if (witness == current) {
        return;
      }
      current = witness;
    }
  }

  /**
   * Takes the shares out of force for the levels no higher level has pressed in the last
   * HOLD_WINDOWS windows. One CAS: if it fails, a refusal has just pressed them, and they stay.
   */
  final void relaxShares(long closed) {
    int from = LEVELS;
    for (int level = 0; level < LEVELS - 1; level++) {
      if (closed - (long) PRESSED.getOpaque(pressedIn, level) <= HOLD_WINDOWS) {
        from = level + 1;
        break;
      }
    }
    int current = cappedFrom;
    if (from > current) {
      CAPPED_FROM.compareAndSet(this, current, from);
    }
  }

  /** Returns the first level whose share is in force: Priority.LEVELS when none is. */
  final int cappedFrom() {
    return cappedFrom;
  }
}
