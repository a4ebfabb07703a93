package io.integrityauditor.store;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.AuditFileLoader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.JSONB;

/**
 * Which of a run's sample keys are in the audit's baseline: the one way {@code check}, {@code
 * runs}, {@code alerts}, the pages and the API tell. A sample is the violating keys with the
 * smallest fingerprints, backlog or not, so after a baseline the one new broken row is usually
 * among backlog rows, or not shown at all; on-call needs to know which.
 */
public final class SampleBaseline {
  private SampleBaseline() {}

  /**
   * Each sample key of run {@code runId} whose membership in the audit's baseline is known, in
   * sample order: its fingerprint (the one the audited server computes for key tracking, over the
   * key's columns in the audit's order, docs/audits.md) looked up in the audit's kept key set
   * ({@link KeyAges}) of that run. A key whose fingerprint is not found there (the set moved on to
   * a later run, or a run recorded before V17) is left out: unknown, never guessed.
   *
   * @param columns the run's {@code sample_columns}; null (a run before V17): nothing is known
   */
  static Map<Map<String, String>, Boolean> of(
      DSLContext dsl, String auditId, long runId, String[] columns) {
    Map<Map<String, String>, Boolean> found = new LinkedHashMap<>();
    if (columns == null) {
      return found;
    }
    for (var row :
        dsl.resultQuery(
                "SELECT s.sample_key, (SELECT v.baseline[array_position(v.fingerprints, s.fp)]"
                    + " FROM "
                    + KeyAges.TABLE
                    + " v WHERE v.audit_id = ? AND v.run_id = ? AND s.fp = ANY (v.fingerprints)"
                    + " LIMIT 1)"
                    + " FROM (SELECT r.ordinal, r.sample_key, hashtextextended(ARRAY(SELECT"
                    + " r.sample_key ->> c.name FROM unnest(?::text[]) WITH ORDINALITY AS c(name, n)"
                    + " ORDER BY c.n)::text, 0) AS fp"
                    + " FROM "
                    + Store.SCHEMA
                    + ".audit_run_sample r WHERE r.run_id = ?) s ORDER BY s.ordinal",
                auditId,
                runId,
                columns,
                runId)
            .fetch()) {
      Boolean in = row.get(1, Boolean.class);
      if (in != null) {
        found.put(RunStore.parseSample(row.get(0, JSONB.class), columns), in);
      }
    }
    return found;
  }

  /**
   * When rows outside the baseline are not among the sample keys shown: how many, and how to find
   * them. Empty when every such row is shown.
   *
   * @param outsideShown sample keys shown that are outside the baseline
   * @param shown sample keys shown
   */
  public static Optional<String> outsideNotShown(
      String auditId, long violations, long baselineViolations, long outsideShown, int shown) {
    long missing = violations - baselineViolations - outsideShown;
    if (missing <= 0) {
      return Optional.empty();
    }
    return Optional.of(
        Plural.of(missing, "row")
            + " outside the baseline "
            + (missing == 1 ? "is" : "are")
            + " not among the "
            + Plural.of(shown, "sample key")
            + " (a sample is the violating keys with the smallest fingerprints, in the baseline or"
            + " not): `explain "
            + auditId
            + "` prints the SQL that lists every violating row"
            + (violations <= AuditFileLoader.MAX_SAMPLE_SIZE
                ? "; with sample_size: " + violations + " every violating key is shown"
                : ""));
  }
}
