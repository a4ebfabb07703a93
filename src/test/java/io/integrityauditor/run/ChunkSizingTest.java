package io.integrityauditor.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * How a chunked run sizes its statements ({@link ChunkedRun#nextRows}): from the statements
 * measured so far, about the target each, never far beyond it. The arithmetic alone; the statements
 * on a real PostgreSQL are BigTableModesTest's and ChunkedClusterTest's.
 */
class ChunkSizingTest {
  private static final double TARGET = 2.0; // chunk_target: 2s (statements aim at 0.9 x)

  private static ChunkQueue.Statement statement(int ordinal, long rows, double seconds) {
    return new ChunkQueue.Statement(
        ordinal,
        1,
        rows,
        "node",
        Instant.EPOCH.plusSeconds(ordinal),
        Duration.ofNanos((long) (seconds * 1e9)));
  }

  @Test
  void the_statement_after_a_calibration_slice_grows_to_the_target_at_once() {
    // one slice of 100,000 rows in 0.15 s, 0.1 s of it the parent's hash: the next statement takes
    // what lasts the target at that rate, fixed cost counted as rows (a fixed factor of 4 took
    // three more statements to get there, each building the parent's hash again)
    long next = ChunkedRun.nextRows(List.of(statement(0, 100_000, 0.15)), TARGET);

    assertThat(next).isBetween(1_190_000L, 1_200_000L);
  }

  @Test
  void a_noisy_fit_cannot_make_the_next_statement_much_longer_than_the_target() {
    // two statements of nearly the same size and time: the least-squares slope is almost flat,
    // so the fit says "rows are free" and asks for ten million; the next statement stays at what
    // the largest one's own rate allows (a factor of 4 would have allowed 4.2 M rows: 6.4 s)
    List<ChunkQueue.Statement> done =
        List.of(statement(0, 1_000_000, 1.600), statement(1, 1_050_000, 1.601));

    long next = ChunkedRun.nextRows(done, TARGET);

    assertThat(next).isLessThanOrEqualTo((long) (1_050_000 * 1.8 / 1.601) + 1);
    assertThat(next * 1.601 / 1_050_000).as("seconds at the largest one's rate").isLessThan(2.0);
  }

  @Test
  void statements_grow_past_one_slice_when_the_parent_hash_is_half_the_target() {
    // a loaded machine: every statement pays 1 s for the parent's hash of a 2 s target, rows cost
    // 2 microseconds, each statement +-25% at random; slices of 100,000 rows. The fit saw only
    // one-slice statements and kept asking for one slice (86 statements on average for 10 M rows,
    // each paying the hash; the reference benchmark's runs under load took 71-100). Ideal:
    // (1.8 - 1.0) / 2e-6 = 400,000 rows a statement, 25 statements.
    for (int seed = 1; seed <= 20; seed++) {
      List<Double> seconds = simulate(1.0, 2e-6, 10_000_000, new Random(seed));
      assertThat(seconds).as("seed %d", seed).hasSizeLessThanOrEqualTo(50);
      assertThat(seconds).as("seed %d", seed).allMatch(s -> s <= 2 * TARGET);
    }
  }

  @Test
  void no_statement_exceeds_twice_the_target_when_the_hash_is_a_smaller_part() {
    // 0.8 s of hash: a fixed growth factor of 4 let a noisy fit ask for statements of up to 5.6 s
    for (int seed = 1; seed <= 20; seed++) {
      List<Double> seconds = simulate(0.8, 2e-6, 10_000_000, new Random(seed));
      assertThat(seconds).as("seed %d", seed).allMatch(s -> s <= 2 * TARGET);
      assertThat(seconds).as("seed %d", seed).hasSizeLessThanOrEqualTo(40);
    }
  }

  @Test
  void a_leftover_is_shared_out_instead_of_paying_a_statement_of_its_own() {
    // the reference run that took 4.7 M, 5.2 M and then 0.1 M rows (the last one a parent's hash
    // for a hundredth of the table): all that is left fits one statement of up to 1.2 x the aim
    assertThat(ChunkedRun.evenShare(5_200_000, 5_299_700)).isEqualTo(5_299_700);
    assertThat(ChunkedRun.evenShare(4_600_000, 5_499_670)).isEqualTo(5_499_670);
    // two statements either way: two halves, not 4.7 M and a leftover of 5.3 M... then 0.1 M
    assertThat(ChunkedRun.evenShare(4_700_000, 9_999_400)).isEqualTo(4_999_700);
    // 1.3 x the aim left: two statements either way, equal ones
    assertThat(ChunkedRun.evenShare(1_000_000, 1_300_000)).isEqualTo(650_000);
    // a calibration statement stays small, and what fits is taken as asked
    assertThat(ChunkedRun.evenShare(1, 9_999_400)).isLessThanOrEqualTo(2);
    assertThat(ChunkedRun.evenShare(3_000_000, 2_000_000)).isEqualTo(3_000_000);
    Random random = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      long rows = 1 + random.nextInt(5_000_000);
      long pending = 1 + random.nextInt(20_000_000);
      long share = ChunkedRun.evenShare(rows, pending);
      assertThat(share)
          .as("%d of %d", rows, pending)
          .isLessThanOrEqualTo((long) (rows * ChunkedRun.STRETCH) + 1);
      long statements = (pending + share - 1) / share;
      assertThat(statements)
          .as("%d of %d", rows, pending)
          .isEqualTo((long) Math.ceil(pending / (rows * ChunkedRun.STRETCH)));
    }
  }

  @Test
  void an_idle_machine_reads_ten_million_rows_in_as_few_statements_as_the_target_allows() {
    // the reference data on an idle machine: 0.15 s of parent's hash, 0.3 us a row, +-10%; the
    // first statement sized from the previous run's rate (4.7 M rows). 10 M rows cost 3.15 s in
    // two statements: 1.6 s each, under the target. Without the shared-out leftover a third
    // statement read the last slices.
    for (int seed = 1; seed <= 20; seed++) {
      List<Double> seconds = simulate(0.15, 0.3e-6, 10_000_000, 0.1, 4_700_000, new Random(seed));
      assertThat(seconds).as("seed %d", seed).hasSize(2);
      assertThat(seconds).as("seed %d", seed).allMatch(s -> s <= TARGET);
    }
  }

  /** A chunked run's statement durations where time = fixed + rows x perRow, +-25%. */
  private static List<Double> simulate(double fixed, double perRow, long rows, Random random) {
    return simulate(fixed, perRow, rows, 0.25, 0, random);
  }

  /**
   * A chunked run's statement durations where time = fixed + rows x perRow, +- {@code noise}.
   *
   * @param first the first statement's rows (from the previous run's rate); 0: a calibration
   */
  private static List<Double> simulate(
      double fixed, double perRow, long rows, double noise, long first, Random random) {
    long remaining = rows;
    List<ChunkQueue.Statement> done = new ArrayList<>();
    List<Double> seconds = new ArrayList<>();
    while (remaining > 0) {
      // as ChunkedRun.work: the next size shared out over what is pending; a claim takes whole
      // slices, at least one, as many as fit
      long wanted = done.isEmpty() && first > 0 ? first : ChunkedRun.nextRows(done, TARGET);
      long slices = Math.max(1, ChunkedRun.evenShare(wanted, remaining) / 100_000);
      long taken = Math.min(remaining, slices * 100_000);
      double took = (fixed + taken * perRow) * (1 - noise + 2 * noise * random.nextDouble());
      done.add(
          new ChunkQueue.Statement(
              done.size(),
              (int) Math.max(1, taken / 100_000),
              taken,
              "node",
              Instant.EPOCH.plusSeconds(done.size()),
              Duration.ofNanos((long) (took * 1e9))));
      seconds.add(took);
      remaining -= taken;
    }
    return seconds;
  }
}
