package io.integrityauditor.store;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.AuditFileLoader;
import io.integrityauditor.audit.scan.KeyScheme;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
   * key's columns in the audit's order, or its integer key's value, as the run's {@code key_scheme}
   * says, docs/audits.md) looked up in the audit's kept key set ({@link KeyAges}) of that run. A
   * key whose fingerprint is not found there (the set moved on to a later run, or a run recorded
   * before V17) is left out: unknown, never guessed.
   *
   * @param columns the run's {@code sample_columns}; null (a run before V17): nothing is known
   */
  static Map<Map<String, String>, Boolean> of(
      DSLContext dsl, String auditId, long runId, String[] columns) {
    Map<Long, String[]> run = new LinkedHashMap<>();
    run.put(runId, columns);
    return of(dsl, auditId, run).getOrDefault(runId, Map.of());
  }

  /**
   * {@link #of(DSLContext, String, long, String[])} for several runs of an audit in one query
   * ({@code runs} lists up to {@code --limit} of them: one query per run was an N+1).
   *
   * @param columnsByRun each run's {@code sample_columns}; a null value: nothing is known of it
   * @return by run id, only for the runs with at least one key whose membership is known
   */
  static Map<Long, Map<Map<String, String>, Boolean>> of(
      DSLContext dsl, String auditId, Map<Long, String[]> columnsByRun) {
    Map<Long, Map<Map<String, String>, Boolean>> found = new LinkedHashMap<>();
    // each run's columns, flattened to (run id, column name) pairs in order: an array of arrays
    // must be rectangular, and runs of a changed definition have different columns
    List<Long> runIds = new ArrayList<>();
    List<String> names = new ArrayList<>();
    columnsByRun.forEach(
        (runId, columns) -> {
          if (columns != null) {
            for (String column : columns) {
              runIds.add(runId);
              names.add(column);
            }
          }
        });
    if (runIds.isEmpty()) {
      return found;
    }
    for (var row :
        dsl.resultQuery(
                "WITH k AS (SELECT c.run_id, array_agg(c.name ORDER BY c.n) AS names"
                    + " FROM unnest(?::bigint[], ?::text[]) WITH ORDINALITY AS c(run_id, name, n)"
                    + " GROUP BY c.run_id)"
                    + " SELECT s.run_id, s.sample_key, (SELECT"
                    + " v.baseline[array_position(v.fingerprints, s.fp)]"
                    + " FROM "
                    + KeyAges.TABLE
                    + " v WHERE v.audit_id = ? AND v.run_id = s.run_id AND s.fp = ANY (v.fingerprints)"
                    + " LIMIT 1)"
                    // the run's key scheme (V18): its integer key's value, else the text hash
                    + " FROM (SELECT r.run_id, r.ordinal, r.sample_key, CASE WHEN a.key_scheme"
                    + " LIKE 'integer:%' THEN "
                    + KeyScheme.integerFromText("r.sample_key ->> substr(a.key_scheme, 9)")
                    + " ELSE hashtextextended(ARRAY(SELECT"
                    + " r.sample_key ->> c.name FROM unnest(k.names) WITH ORDINALITY AS c(name, n)"
                    + " ORDER BY c.n)::text, 0) END AS fp"
                    + " FROM "
                    + Store.SCHEMA
                    + ".audit_run_sample r JOIN k ON k.run_id = r.run_id JOIN "
                    + Store.SCHEMA
                    + ".audit_run a ON a.id = r.run_id) s"
                    + " ORDER BY s.run_id, s.ordinal",
                runIds.toArray(Long[]::new),
                names.toArray(String[]::new),
                auditId)
            .fetch()) {
      Boolean in = row.get(2, Boolean.class);
      if (in != null) {
        long runId = row.get(0, Long.class);
        found
            .computeIfAbsent(runId, id -> new LinkedHashMap<>())
            .put(RunStore.parseSample(row.get(1, JSONB.class), columnsByRun.get(runId)), in);
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
