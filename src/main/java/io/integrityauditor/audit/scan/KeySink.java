package io.integrityauditor.audit.scan;

import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

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
        public Part open(String part, KeyScheme scheme) {
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
   * The scheme of the audit's kept key set, the one the run's keys are compared with ({@link
   * KeyScheme}); empty when there is none. A statement fingerprints the keys it sends in it, so
   * that they compare with the kept set, whatever the scan's own scheme.
   */
  default Optional<KeyScheme> keptScheme() {
    return Optional.empty();
  }

  /**
   * This sink, knowing what the previous runs left: the previous completed run's violations ({@link
   * #previousViolations}) and the kept set's scheme ({@link #keptScheme}), each asked for at most
   * once and only when a statement needs it. A failure to find the violations reads as unknown (a
   * hint: without it every key's texts are sent); a failure to find the scheme fails the statement
   * (a guessed scheme would make every key new).
   */
  default KeySink withPrevious(LongSupplier violations, Supplier<Optional<KeyScheme>> scheme) {
    KeySink sink = this;
    return new KeySink() {
      private Long knownViolations;
      private Optional<KeyScheme> knownScheme;

      @Override
      public int cap() {
        return sink.cap();
      }

      @Override
      public Part open(String part, KeyScheme scheme) {
        return sink.open(part, scheme);
      }

      @Override
      public synchronized long previousViolations() {
        if (knownViolations == null) {
          long figure;
          try {
            figure = Math.max(0, violations.getAsLong());
          } catch (RuntimeException e) {
            figure = 0;
          }
          knownViolations = figure;
        }
        return knownViolations;
      }

      @Override
      public synchronized Optional<KeyScheme> keptScheme() {
        if (knownScheme == null) {
          knownScheme = scheme.get();
        }
        return knownScheme;
      }
    };
  }

  /**
   * Starts (or restarts, for a retried statement) the keys of one statement, named {@code part}
   * (unique within the run), fingerprinted in {@link KeyScheme#TEXT}.
   */
  default Part open(String part) {
    return open(part, KeyScheme.TEXT);
  }

  /** {@link #open(String)}, the keys fingerprinted in {@code scheme}. */
  Part open(String part, KeyScheme scheme);

  /** The keys of one statement: written as they come, kept only once {@link #commit()}ted. */
  interface Part extends AutoCloseable {
    /**
     * @param weights rows each key stands for, or null for one row each
     */
    void add(long[] fingerprints, long[] weights);

    /**
     * The same keys in another scheme, {@code to}: {@code translated[i]} is the fingerprint of the
     * key whose fingerprint in the part's scheme is {@code stored[i]}. Sent by a run that reads
     * every row while its audit's scheme changes; the store translates the run's key set with them
     * when the run finishes.
     */
    default void translate(long[] stored, long[] translated, KeyScheme to) {
      throw new UnsupportedOperationException("this key sink does not translate key sets");
    }

    void commit();

    /** Without {@link #commit()}: nothing of this part is kept. */
    @Override
    void close();
  }
}
