package io.integrityauditor.audit.scan;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * An audit whose child and parent live in two databases (a side with its own {@code target:}): it
 * runs with a READ ONLY transaction on each target at once (run/CrossDatabaseRun), never as one
 * statement. docs/audits.md, "References across databases".
 */
public interface CrossDatabaseScan {
  /** The target its parent side is read from; the child's is the audit's own. */
  String parentTarget();

  /**
   * Runs the scan.
   *
   * @param child a context in a READ ONLY, REPEATABLE READ transaction on the child's target
   * @param parent a context in a READ ONLY, READ COMMITTED transaction on the parent's target: each
   *     re-check statement there sees a fresh snapshot
   * @param keys where the violating keys' fingerprints go
   * @param timeout how long the whole scan may take (each statement also has the audit's statement
   *     timeout, on its server)
   */
  Measurement execute(DSLContext child, DSLContext parent, KeySink keys, Duration timeout);

  /** The statements it runs on the child's target (bind values inlined), for {@code explain}. */
  List<String> childSql(DSLContext child);

  /** The statements it runs on the parent's target. */
  List<String> parentSql(DSLContext parent);

  /** The tables it reads, child's first ({@code schema.table}), named in errors. */
  List<String> relations();

  /** How it runs in key ranges (mode: chunked); empty when it only runs whole. */
  default Optional<CrossDatabaseRanges> ranges() {
    return Optional.empty();
  }
}
