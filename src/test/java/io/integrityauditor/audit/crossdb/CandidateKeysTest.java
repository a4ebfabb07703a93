package io.integrityauditor.audit.crossdb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Candidate orphan keys beyond those held in the heap go to a temporary file and come back exactly,
 * in the order added, in batches (issue 17, point 3: the heap stays bounded while a COPY holds the
 * connections).
 */
class CandidateKeysTest {
  private record Drained(List<List<String>> keys, List<Long> rows, List<Integer> batches) {}

  private static Drained drain(CandidateKeys candidates, int batch) throws Exception {
    Drained drained = new Drained(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    candidates.drain(
        batch,
        (keys, rows) -> {
          keys.forEach(key -> drained.keys().add(List.of(key)));
          drained.rows().addAll(rows);
          drained.batches().add(keys.size());
        });
    return drained;
  }

  @Test
  void keys_beyond_those_in_memory_come_back_from_the_file_exactly_and_in_order() throws Exception {
    try (CandidateKeys candidates = new CandidateKeys(2, 2)) {
      candidates.add(new String[] {"a", "1"}, 3);
      candidates.add(new String[] {"é✓😀", ""}, 1);
      candidates.add(new String[] {"x\ny", "\\N"}, 7);
      candidates.add(new String[] {"", "\"q\",\t"}, 2);
      candidates.add(new String[] {"z".repeat(70_000), "b"}, 5_000_000_000L);
      assertThat(candidates.size()).isEqualTo(5);
      Drained drained = drain(candidates, 2);
      assertThat(drained.keys())
          .containsExactly(
              List.of("a", "1"),
              List.of("é✓😀", ""),
              List.of("x\ny", "\\N"),
              List.of("", "\"q\",\t"),
              List.of("z".repeat(70_000), "b"));
      assertThat(drained.rows()).containsExactly(3L, 1L, 7L, 2L, 5_000_000_000L);
      assertThat(drained.batches()).containsExactly(2, 2, 1);
      assertThat(candidates.size()).isZero();
    }
  }

  @Test
  void keys_that_fit_in_memory_are_handed_in_batches_without_a_file() throws Exception {
    try (CandidateKeys candidates = new CandidateKeys(1, 10)) {
      for (int i = 0; i < 5; i++) {
        candidates.add(new String[] {"k" + i}, i);
      }
      Drained drained = drain(candidates, 3);
      assertThat(drained.keys())
          .containsExactly(
              List.of("k0"), List.of("k1"), List.of("k2"), List.of("k3"), List.of("k4"));
      assertThat(drained.batches()).containsExactly(3, 2);
    }
  }
}
