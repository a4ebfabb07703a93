package io.integrityauditor.run;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A full run: the audit's one statement in one READ ONLY transaction (with retries of transient
 * failures, {@link Attempts}). Every kind can run this way; kinds that cannot be split always do.
 * The transaction is REPEATABLE READ: a statement that sends key texts only below a bound may need
 * a second one for the sample's texts, which must see the very same rows (audit/scan's
 * ViolationScan); for one statement it costs nothing more (a read-only transaction takes one
 * snapshot either way).
 */
final class FullRun {
  private static final Logger LOG = LoggerFactory.getLogger(FullRun.class);

  private final Attempts attempts;

  FullRun(Attempts attempts) {
    this.attempts = attempts;
  }

  /** Runs the audit, sending the violating keys' fingerprints to {@code keys}. */
  AuditResult run(Audit audit, AuditQuery query, DataSource target, KeySink keys) {
    Outcome<Measurement> outcome =
        attempts.inOneSnapshot(
            audit, query.relations(), target, context -> query.execute(context, keys), "");
    return result(audit, audit.target(), outcome);
  }

  /**
   * The run's result of a measurement of the whole audit in one unit of work, logged.
   *
   * @param where the target(s) it read, for the log line
   */
  static AuditResult result(Audit audit, String where, Outcome<Measurement> outcome) {
    if (outcome.value().isEmpty()) {
      return outcome.failure(audit);
    }
    Measurement measurement = outcome.value().get();
    LOG.info(
        "audit {} on {}: {} in {} checked ({} ms)",
        audit.id(),
        where,
        Plural.of(measurement.violations(), "violation"),
        Plural.of(measurement.rowsChecked(), "row"),
        outcome.duration().toMillis());
    return outcome.completed(audit, measurement);
  }
}
