package io.integrityauditor.run;

import io.integrityauditor.audit.scan.ScanPartial;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The key ranges of one chunked run, shared by whoever runs them: in memory for a run without a
 * store, in the store (claimed with {@code FOR UPDATE SKIP LOCKED}) when the nodes of a cluster
 * share the work.
 */
public interface ChunkQueue {
  /**
   * Takes consecutive pending slices holding up to {@code rows} estimated rows (at least one
   * slice), or empty when none is free (all done, or the rest is being run by someone else).
   */
  Optional<Claim> claim(long rows);

  /** Where the run stands. */
  Progress progress();

  /** Every statement run so far: sizes and timings, for sizing the next one. */
  List<Statement> statements();

  /** The merged partial results of every statement done. */
  ScanPartial total();

  /** Consecutive slices claimed for one statement; exactly one of the methods ends it. */
  interface Claim {
    List<ChunkSlice> slices();

    void complete(ScanPartial partial, Instant startedAt, Duration duration);

    void fail(RunError error);

    /** Gives the slices back untouched (the statement did not run). */
    void release();
  }

  /**
   * @param pending slices not done yet (including those being run right now)
   * @param done slices done
   * @param pendingRows the estimated rows of the pending slices
   * @param failure the first failed statement's error, if any
   */
  record Progress(int pending, int done, long pendingRows, Optional<RunError> failure) {}

  /**
   * One statement's result.
   *
   * @param estimatedRows the planned rows of its slices
   * @param finishedAt when it ended
   */
  record Statement(
      int firstSlice,
      int slices,
      long estimatedRows,
      String nodeId,
      Instant finishedAt,
      Duration duration) {}
}
