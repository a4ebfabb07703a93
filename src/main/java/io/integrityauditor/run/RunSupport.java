package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.catalog.ColumnInfo;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a store gives runs beyond their history: chunk queues that the other nodes of the cluster
 * help with, and the watermarks of incremental audits. Without a store, chunks stay on this node
 * and incremental audits run full sweeps (there is nowhere to keep a watermark).
 */
public interface RunSupport {
  /** No store: local chunks, no watermarks. */
  RunSupport NONE =
      new RunSupport() {
        @Override
        public Optional<SharedChunks> share(
            long runId,
            Audit audit,
            String fingerprint,
            ColumnInfo key,
            Optional<SweepScope> scope,
            List<ChunkSlice> slices) {
          return Optional.empty();
        }

        @Override
        public IncrementalStart incrementalStart(OptionalLong runId, Audit audit) {
          return new IncrementalStart(Optional.empty(), KeySink.NONE);
        }

        @Override
        public boolean keepsWatermarks() {
          return false;
        }

        @Override
        public double rowsPerSecond(String auditId) {
          return 0;
        }

        @Override
        public KeySink keys(long runId, Audit audit) {
          return KeySink.NONE;
        }
      };

  /**
   * Publishes the slices of run {@code runId} so that peers can claim them; empty when runs are not
   * shared.
   *
   * @param fingerprint identifies the chunk statement: peers with another definition stay away
   */
  Optional<SharedChunks> share(
      long runId,
      Audit audit,
      String fingerprint,
      ColumnInfo key,
      Optional<SweepScope> scope,
      List<ChunkSlice> slices);

  /**
   * What an incremental run of {@code audit} starts from: its watermark (empty: none yet, the run
   * sweeps), and where the statements of run {@code runId} send their violating keys as {@link
   * #keys} says, knowing already what they ask of the audit's previous runs: one look at the store
   * (a small run's time is mostly round trips to it, docs/performance.md, "tenth session, incr25").
   */
  IncrementalStart incrementalStart(OptionalLong runId, Audit audit);

  /** See {@link #incrementalStart}. */
  record IncrementalStart(Optional<RunInfo.WatermarkState> watermark, KeySink keys) {}

  boolean keepsWatermarks();

  /**
   * Rows per second of the audit's latest completed run that read every row (full or chunked), to
   * size a chunked run's first statement; 0 when unknown.
   */
  double rowsPerSecond(String auditId);

  /**
   * Where the statements of run {@code runId} send their violating keys' fingerprints (up to the
   * audit's {@code track_keys}); {@link KeySink#NONE} when keys are not tracked.
   */
  KeySink keys(long runId, Audit audit);

  /** A published chunk queue; closing it tells peers the run needs no more help. */
  interface SharedChunks extends AutoCloseable {
    ChunkQueue queue();

    @Override
    void close();
  }
}
