package io.integrityauditor.audit.crossdb;

import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.audit.scan.Tracking;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;

/**
 * The confirmed violations of a scan across databases, as they come: counted, fingerprinted on the
 * child's server in batches ({@link Sides#fingerprints}), kept in the sample by the same rule as a
 * same-database scan ({@link ScanPartial}), and passed on to the key sink up to its cap. It holds
 * one batch and the sample, whatever the number of violations.
 */
final class Findings implements AutoCloseable {
  private final TableColumns.Bound child;
  private final DSLContext childContext;
  private final KeySink sink;
  private final int width;
  private final int sampleSize;
  private final KeySink.Part part;
  private final List<List<String>> pending = new ArrayList<>();
  private ScanPartial sample;
  private long violations;
  private long tracked;

  /**
   * @param width the sample columns of each violation
   */
  Findings(
      TableColumns.Bound child, DSLContext childContext, KeySink sink, int width, int sampleSize) {
    this.child = child;
    this.childContext = childContext;
    this.sink = sink;
    this.width = width;
    this.sampleSize = sampleSize;
    this.sample = new ScanPartial(0, 0, List.of(), sampleSize);
    this.part = sink.cap() > 0 ? sink.open(Tracking.FULL) : null;
  }

  /** A violation, by its sample columns' values as text; flushed every {@link MergeScan#BATCH}. */
  void add(List<String> sampleValues) throws SQLException {
    pending.add(sampleValues);
    if (pending.size() >= MergeScan.BATCH) {
      flush();
    }
  }

  /** Counts the pending violations, fingerprints them on the child's server, keeps the sample. */
  void flush() throws SQLException {
    if (pending.isEmpty()) {
      return;
    }
    List<Long> fingerprints =
        Sides.on(
            child, () -> Sides.fingerprints(childContext, width, pending).fetch(0, Long.class));
    List<ScanPartial.Candidate> batch = new ArrayList<>();
    for (int i = 0; i < pending.size(); i++) {
      batch.add(new ScanPartial.Candidate(fingerprints.get(i), pending.get(i)));
    }
    violations += pending.size();
    sample = sample.merge(new ScanPartial(0, 0, batch, sampleSize));
    if (part != null && tracked < sink.cap()) {
      int room = (int) Math.min(fingerprints.size(), sink.cap() - tracked);
      long[] kept = new long[room];
      for (int i = 0; i < room; i++) {
        kept[i] = fingerprints.get(i);
      }
      part.add(kept, null);
      tracked += room;
    }
    pending.clear();
  }

  /** Flushes and commits the tracked keys: the scan completed. */
  void complete() throws SQLException {
    flush();
    if (part != null) {
      part.commit();
    }
  }

  long violations() {
    return violations;
  }

  List<ScanPartial.Candidate> sample() {
    return sample.sample();
  }

  @Override
  public void close() {
    if (part != null) {
      part.close();
    }
  }
}
