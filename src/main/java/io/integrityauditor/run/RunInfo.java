package io.integrityauditor.run;

import io.integrityauditor.audit.scan.ScanPartial;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * How a run was executed, for the run history, {@code check --format json} and metrics: which mode
 * produced its figures, and the details of that mode.
 *
 * @param mode full, chunked or incremental
 * @param chunks statements of a chunked run (0 otherwise)
 * @param chunkNodes nodes that ran them (0 otherwise)
 * @param scannedRows rows this run read; for an incremental run, only the new rows (its rows
 *     checked include the rows carried forward)
 * @param watermarkFrom an incremental run checked the rows past this value (empty: from the start)
 * @param watermarkTo ... up to this one
 * @param watermark the incremental state to store with the result, atomically
 */
public record RunInfo(
    Mode mode,
    int chunks,
    int chunkNodes,
    Optional<Long> scannedRows,
    Optional<String> watermarkFrom,
    Optional<String> watermarkTo,
    Optional<Watermark> watermark) {

  public static final RunInfo FULL =
      new RunInfo(
          Mode.FULL, 0, 0, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

  /** The mode a run's figures come from. */
  public enum Mode {
    FULL,
    CHUNKED,
    INCREMENTAL;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Mode fromLabel(String label) {
      return valueOf(label.toUpperCase(Locale.ROOT));
    }

    /** Whether a run in this mode read every row (a full sweep). */
    public boolean readsEveryRow() {
      return this != INCREMENTAL;
    }
  }

  public static RunInfo full(long scannedRows) {
    return new RunInfo(
        Mode.FULL,
        0,
        0,
        Optional.of(scannedRows),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  public static RunInfo chunked(int chunks, int nodes, long scannedRows) {
    return new RunInfo(
        Mode.CHUNKED,
        chunks,
        nodes,
        Optional.of(scannedRows),
        Optional.empty(),
        Optional.empty(),
        Optional.empty());
  }

  public static RunInfo incremental(
      long scannedRows, Optional<String> watermarkFrom, Optional<String> watermarkTo) {
    return new RunInfo(
        Mode.INCREMENTAL,
        0,
        0,
        Optional.of(scannedRows),
        watermarkFrom,
        watermarkTo,
        Optional.empty());
  }

  public RunInfo withWatermark(Watermark state) {
    return new RunInfo(
        mode, chunks, chunkNodes, scannedRows, watermarkFrom, watermarkTo, Optional.of(state));
  }

  /**
   * An incremental audit's state after a run: everything up to {@code value} of {@code column} has
   * been checked and holds {@code partial}.
   *
   * @param fingerprint the audit definition it belongs to
   * @param value the watermark, as text of the column's type; empty while the table is empty
   * @param fullSweep this run read every row (it resets the carried-forward findings)
   */
  public record Watermark(
      String auditId,
      String fingerprint,
      String column,
      Optional<String> value,
      ScanPartial partial,
      boolean fullSweep) {}

  /**
   * An incremental audit's state as the store holds it.
   *
   * @param lastFullAt when the latest full sweep finished
   */
  public record WatermarkState(
      String fingerprint,
      String column,
      Optional<String> value,
      ScanPartial partial,
      Instant lastFullAt) {}
}
