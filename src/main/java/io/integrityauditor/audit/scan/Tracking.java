package io.integrityauditor.audit.scan;

/**
 * Where one statement of a scan sends its violating keys' fingerprints: a sink and the name of the
 * statement's part of the run's key set ({@link KeySink#open}).
 */
public record Tracking(KeySink sink, String part) {
  /** The part name of a run that reads every row in one statement. */
  public static final String FULL = "all";

  /** Keys are not tracked. */
  public static final Tracking NONE = new Tracking(KeySink.NONE, FULL);
}
