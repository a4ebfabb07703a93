package io.integrityauditor.audit.scan;

import java.util.function.LongSupplier;

/**
 * Where a scan sends the fingerprints of every violating key it finds (up to {@link #cap()}), in
 * batches as they stream from the audited server, so that the worker never holds them all: the
 * store keeps them per run to tell new violating rows from persisting and gone ones.
 */
public interface KeySink {
  /** Keys are not tracked (no store, or tracking turned off). */
  KeySink NONE =
      new KeySink() {
        @Override
        public int cap() {
          return 0;
        }

        @Override
        public Part open(String part) {
          throw new IllegalStateException("keys are not tracked");
        }
      };

  /** Fingerprints in one batch sent by the audited server. */
  int BATCH = 10_000;

  /** The most fingerprints one statement sends; 0: none. */
  int cap();

  /**
   * How many violating rows the audit's previous completed run found (0: none, or not known). A
   * full run's statement sends the key texts only of rows whose fingerprint lies below a bound
   * sized by it ({@link ViolationScan#selectRows}); a wrong figure costs time, never a sample key.
   */
  default long previousViolations() {
    return 0;
  }

  /**
   * This sink, knowing the previous completed run's violations ({@link #previousViolations}), asked
   * for at most once and only when a statement needs it; a failure to find it reads as unknown.
   */
  default KeySink withPreviousViolations(LongSupplier previous) {
    KeySink sink = this;
    return new KeySink() {
      private Long known;

      @Override
      public int cap() {
        return sink.cap();
      }

      @Override
      public Part open(String part) {
        return sink.open(part);
      }

      @Override
      public synchronized long previousViolations() {
        if (known == null) {
          long figure;
          try {
            figure = Math.max(0, previous.getAsLong());
          } catch (RuntimeException e) {
            // a hint, not the measurement: without it every key's texts are sent
            figure = 0;
          }
          known = figure;
        }
        return known;
      }
    };
  }

  /**
   * Starts (or restarts, for a retried statement) the keys of one statement, named {@code part}
   * (unique within the run).
   */
  Part open(String part);

  /** The keys of one statement: written as they come, kept only once {@link #commit()}ted. */
  interface Part extends AutoCloseable {
    /**
     * @param weights rows each key stands for, or null for one row each
     */
    void add(long[] fingerprints, long[] weights);

    void commit();

    /** Without {@link #commit()}: nothing of this part is kept. */
    @Override
    void close();
  }
}
