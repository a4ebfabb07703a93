package io.integrityauditor.serve;

import java.util.ArrayList;
import java.util.List;

/**
 * How long each phase of a node's start took, for its start-up log line: where the time to ready
 * goes (store, tenants, files, catalogs and binding, jobs, scheduler, HTTP) is then read from the
 * log of any start, not guessed.
 */
final class StartPhases {
  private final long started = System.nanoTime();
  private long last = started;
  private final List<String> phases = new ArrayList<>();

  /** Ends the phase running since the previous one (or the start). */
  synchronized void done(String phase) {
    long now = System.nanoTime();
    phases.add(phase + " " + (now - last) / 1_000_000 + " ms");
    last = now;
  }

  @Override
  public synchronized String toString() {
    return (last - started) / 1_000_000 + " ms (" + String.join(", ", phases) + ")";
  }
}
