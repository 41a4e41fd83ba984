package io.sluice;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.Test;

/**
 * The limiter's admission word, which every acquire and release writes, sits alone between 128
 * bytes of padding on each side, whatever the object header's size and however the classes that
 * hold the limiter's rules (LimiterPriorities, WindowedLimiter) add their fields: no other field
 * of the limiter lies within 64 bytes of it.
 */
class LimiterLayoutTest {

  @Test
  void theAdmissionWordHasNoNeighbourWithinACacheLine() throws Exception {
    long word = -1;
    for (Class<?> c = WindowedLimiter.class; c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getName().equals("state")) {
          word = offset(f);
        }
      }
    }
    assertThat(word).as("the admission word's offset").isNotNegative();
    int padsBefore = 0;
    int padsAfter = 0;
    for (Class<?> c = WindowedLimiter.class; c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) || f.getName().equals("state")) {
          continue;
        }
        long at = offset(f);
        boolean pad = f.getName().matches("p[0-9a-f]{2}");
        if (pad) {
          padsBefore += at < word ? 1 : 0;
          padsAfter += at > word ? 1 : 0;
        } else {
          assertThat(Math.abs(at - word)).as("%s.%s from the admission word",
              c.getSimpleName(), f.getName()).isGreaterThanOrEqualTo(128);
        }
      }
    }
    assertThat(padsBefore).as("pad fields before the word").isGreaterThanOrEqualTo(16);
    assertThat(padsAfter).as("pad fields after the word").isGreaterThanOrEqualTo(16);
  }

  /** The field's offset in its object, through sun.misc.Unsafe found reflectively (test only). */
  private static long offset(Field field) throws Exception {
    Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
    Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
    theUnsafe.setAccessible(true);
    Method objectFieldOffset = unsafeClass.getMethod("objectFieldOffset", Field.class);
    return (long) objectFieldOffset.invoke(theUnsafe.get(null), field);
  }
}
