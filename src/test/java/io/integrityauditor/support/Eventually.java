package io.integrityauditor.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition with a deadline; tests never sleep as an assertion. */
public final class Eventually {
  private Eventually() {}

  public static void within(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      pause(100);
    }
    if (!condition.getAsBoolean()) {
      throw new AssertionError("not within " + timeout + ": " + what);
    }
  }

  public static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
