package io.sluice.rate;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bucket's word sits between 64 bytes of padding on each side, whatever the object header's
 * size: the pads are laid out by inheritance, not by declaration order after the fields (which
 * leaves the space before the word to the header, 12 bytes or 8 with compact object headers).
 */
class GcraCellLayoutTest {

  @Test
  void theWordHasSixtyFourBytesOfPaddingOnEachSide() throws Exception {
    long word = offset(field("word"));
    long anchor = offset(field("anchorNanos"));
    List<Long> before = new ArrayList<>();
    List<Long> after = new ArrayList<>();
    for (Class<?> c = GcraCell.class; c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getName().startsWith("p")) {
          (offset(f) < Math.min(word, anchor) ? before : after).add(offset(f));
        }
      }
    }
    assertThat(before).as("pad fields before the state").hasSize(8);
    assertThat(after).as("pad fields after the state").hasSize(8)
        .allSatisfy(o -> assertThat(o).isGreaterThan(Math.max(word, anchor)));
    long firstAfter = after.stream().mapToLong(Long::longValue).min().orElseThrow();
    long lastBefore = before.stream().mapToLong(Long::longValue).max().orElseThrow();
    assertThat(word - lastBefore + 8 * 7).as("bytes of padding before the word")
        .isGreaterThanOrEqualTo(64);
    assertThat(firstAfter - word + 8 * 7).as("bytes of padding after the word")
        .isGreaterThanOrEqualTo(64);
  }

  /** The cell's field of that name, declared by the cell or one of its superclasses. */
  private static Field field(String name) {
    for (Class<?> c = GcraCell.class; c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (f.getName().equals(name)) {
          return f;
        }
      }
    }
    throw new AssertionError("no field " + name);
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
