package io.integrityauditor.run;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run of a reference across databases: one READ ONLY transaction on the child's target (the
 * attempt's, with the audit's timeouts and retries, {@link Attempts}) and, inside it, one on the
 * parent's ({@link Attempts#alongside}); the scan merges their streams. Either database failing
 * fails the attempt: the run is an error or a timeout, never a result.
 */
final class CrossDatabaseRun {
  private static final Logger LOG = LoggerFactory.getLogger(CrossDatabaseRun.class);

  private final Attempts attempts;

  CrossDatabaseRun(Attempts attempts) {
    this.attempts = attempts;
  }

  AuditResult run(
      Audit audit, CrossDatabaseScan scan, DataSource child, DataSource parent, KeySink keys) {
    Outcome<Measurement> outcome =
        attempts.inTransaction(
            audit,
            scan.relations(),
            child,
            childContext ->
                attempts.alongside(
                    audit,
                    scan.parentTarget(),
                    parent,
                    parentContext ->
                        scan.execute(childContext, parentContext, keys, audit.timeout())),
            "");
    if (outcome.value().isEmpty()) {
      return outcome.failure(audit);
    }
    Measurement measurement = outcome.value().get();
    LOG.info(
        "audit {} on {} and {}: {} in {} checked ({} ms)",
        audit.id(),
        audit.target(),
        scan.parentTarget(),
        Plural.of(measurement.violations(), "violation"),
        Plural.of(measurement.rowsChecked(), "row"),
        outcome.duration().toMillis());
    return outcome.completed(audit, measurement);
  }
}
