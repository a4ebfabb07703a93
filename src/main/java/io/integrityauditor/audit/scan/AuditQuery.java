package io.integrityauditor.audit.scan;

import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * An audit bound to a catalog, ready to run. {@link #execute} runs inside the caller's READ ONLY
 * transaction with its timeouts already set; it must not load more than the sample into memory.
 */
public interface AuditQuery {
  Measurement execute(DSLContext context);

  /**
   * The same, sending the fingerprints of every violating key to {@code keys} (kinds that do not
   * track keys ignore it: the run then records no key set).
   */
  default Measurement execute(DSLContext context, KeySink keys) {
    return execute(context);
  }

  /** The SQL it runs (with bind values inlined), for {@code explain} and reviews by DBAs. */
  List<String> sql(DSLContext context);

  /** The tables it reads ({@code schema.table}), named in lock and permission errors. */
  List<String> relations();

  /**
   * The same audit as a scan that can be split into ranges of its driving table's rows (chunked and
   * incremental runs); empty for kinds that only run in one statement.
   */
  default Optional<RangeScan> rangeScan() {
    return Optional.empty();
  }

  /**
   * The audit as a scan of two databases (a reference whose parent is in another target): it then
   * runs only that way, never through {@link #execute}; empty for audits of one database.
   */
  default Optional<CrossDatabaseScan> acrossDatabases() {
    return Optional.empty();
  }
}
