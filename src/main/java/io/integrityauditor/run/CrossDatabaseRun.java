package io.integrityauditor.run;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import javax.sql.DataSource;

/**
 * A run of a reference across databases: one READ ONLY, REPEATABLE READ transaction on the child's
 * target (the attempt's, with the audit's timeouts and retries, {@link Attempts}: the scan reads
 * the child in two statements, both in its one snapshot) and, inside it, one on the parent's
 * ({@link Attempts#alongside}); the scan merges their streams. Either database failing fails the
 * attempt: the run is an error or a timeout, never a result.
 */
final class CrossDatabaseRun {
  private final Attempts attempts;

  CrossDatabaseRun(Attempts attempts) {
    this.attempts = attempts;
  }

  AuditResult run(
      Audit audit, CrossDatabaseScan scan, DataSource child, DataSource parent, KeySink keys) {
    Outcome<Measurement> outcome =
        attempts.inOneSnapshot(
            audit,
            scan.relations(),
            child,
            childContext ->
                attempts.alongside(
                    audit,
                    scan.parentTarget(),
                    parent,
                    parentContext ->
                        scan.execute(childContext, parentContext, keys, audit.timeout())));
    return FullRun.result(audit, audit.target() + " and " + scan.parentTarget(), outcome);
  }
}
