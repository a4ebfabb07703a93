package io.integrityauditor.schedule;

import io.integrityauditor.store.RunTrigger;
import java.time.Instant;
import java.util.List;

/** The node's side of a scheduler that is never started: nothing fires, nothing runs. */
final class NoJobs implements FiredJobs {
  @Override
  public void runFired(String auditId, RunTrigger trigger, Instant fireTime, boolean recovering) {
    throw new AssertionError("no job runs in this test");
  }

  @Override
  public void skippedOverrun(
      String auditId, Instant runFireTime, List<Instant> skipped, long notListed, Instant next) {
    throw new AssertionError("no job runs in this test");
  }

  @Override
  public void skippedMisfire(String auditId, List<Instant> skipped, long notListed) {
    throw new AssertionError("no job runs in this test");
  }

  @Override
  public void pruneHistory() {
    throw new AssertionError("no job runs in this test");
  }
}
