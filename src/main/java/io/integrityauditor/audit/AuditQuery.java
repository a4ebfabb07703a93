package io.integrityauditor.audit;

import java.util.List;
import org.jooq.DSLContext;

/**
 * An audit bound to a catalog, ready to run. {@link #execute} runs inside the caller's READ ONLY
 * transaction with its timeouts already set; it must not load more than the sample into memory.
 */
public interface AuditQuery {
  Measurement execute(DSLContext context);

  /** The SQL it runs (with bind values inlined), for {@code explain} and reviews by DBAs. */
  List<String> sql(DSLContext context);

  /** The tables it reads ({@code schema.table}), named in lock and permission errors. */
  List<String> relations();
}
