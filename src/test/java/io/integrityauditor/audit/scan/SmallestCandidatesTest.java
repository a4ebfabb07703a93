package io.integrityauditor.audit.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SmallestCandidatesTest {
  private static ScanPartial.Candidate candidate(long fingerprint, String... key) {
    return new ScanPartial.Candidate(fingerprint, Arrays.asList(key));
  }

  /** What a caller does with each streamed key: build its texts only when admitted. */
  private static List<ScanPartial.Candidate> streamed(List<ScanPartial.Candidate> keys, int limit) {
    ScanPartial.Smallest smallest = new ScanPartial.Smallest(limit);
    for (ScanPartial.Candidate key : keys) {
      if (smallest.admits(key.fingerprint())) {
        smallest.add(key);
      }
    }
    return smallest.candidates();
  }

  @Test
  void keys_streamed_in_any_order_keep_the_smallest_fingerprints_and_break_a_collision_by_key() {
    List<ScanPartial.Candidate> keys =
        new ArrayList<>(
            List.of(
                candidate(40, "d"),
                candidate(-7, "a"),
                candidate(12, "c"),
                candidate(12, "b"),
                candidate(12, (String) null),
                candidate(90, "e"),
                candidate(-7, "a")));
    List<ScanPartial.Candidate> expected =
        List.of(candidate(-7, "a"), candidate(12, "b"), candidate(12, "c"));
    Random random = new Random(13);
    for (int shuffle = 0; shuffle < 50; shuffle++) {
      Collections.shuffle(keys, random);
      // a key with the largest kept fingerprint but a smaller key text still gets in
      assertThat(streamed(keys, 3)).isEqualTo(expected);
    }
  }

  @Test
  void fewer_keys_than_the_limit_are_all_kept_once_and_a_limit_of_zero_keeps_none() {
    List<ScanPartial.Candidate> keys =
        List.of(candidate(5, "x", null), candidate(5, "x", null), candidate(-3, "y", "1"));
    assertThat(streamed(keys, 20))
        .containsExactly(candidate(-3, "y", "1"), candidate(5, "x", null));
    assertThat(streamed(keys, 0)).isEmpty();
  }
}
