package io.integrityauditor;

/** The exit codes of the contract in PRODUCT.md. */
public final class ExitCodes {
  /** Every selected audit ran and none breached at or above the failing severity. */
  public static final int CLEAN = 0;

  /** At least one audit breached its threshold at or above the failing severity. */
  public static final int VIOLATIONS = 1;

  /** Configuration, audit files or command-line arguments are wrong; nothing ran. */
  public static final int CONFIG_ERROR = 2;

  /** At least one audit could not run (error, timeout, unreachable database). */
  public static final int COULD_NOT_RUN = 3;

  private ExitCodes() {}
}
