package io.integrityauditor.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The worker's sort of a run's keys with their weights (KeySets.sortPairs). */
class KeySetsSortTest {
  @Test
  void keys_are_sorted_and_each_weight_moves_with_its_key() {
    Random random = new Random(13);
    for (int size : new int[] {0, 1, 2, 3, 7, 1000, 4097}) {
      long[] keys = new long[size + 5];
      long[] weights = new long[size + 5];
      for (int i = 0; i < keys.length; i++) {
        // few distinct keys among many: equal keys are common; the weight says which key it was
        keys[i] = random.nextInt(Math.max(1, size / 3)) - size / 6;
        weights[i] = keys[i] * 31 + 7;
      }
      long[] tail = Arrays.copyOfRange(keys, size, keys.length);
      long[] expected = Arrays.copyOf(keys, size);
      Arrays.sort(expected);

      KeySets.sortPairs(keys, weights, size);

      assertThat(Arrays.copyOf(keys, size)).as("size %d", size).containsExactly(expected);
      for (int i = 0; i < size; i++) {
        assertThat(weights[i]).isEqualTo(keys[i] * 31 + 7);
      }
      assertThat(Arrays.copyOfRange(keys, size, keys.length))
          .as("beyond size")
          .containsExactly(tail);
    }
  }
}
