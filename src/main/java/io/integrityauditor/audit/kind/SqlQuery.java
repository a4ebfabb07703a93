package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.Source;
import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.audit.scan.ViolationScan;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Record1;
import org.jooq.Select;
import org.jooq.impl.DSL;

/**
 * A {@code kind: sql} audit ready to run: the aggregate over the user's query and, when {@code
 * rows_checked} is given, a count of that table in the same transaction.
 */
final class SqlQuery implements AuditQuery {
  private final ViolationScan scan;
  private final Optional<Source.Bound> denominator;

  SqlQuery(ViolationScan scan, Optional<Source.Bound> denominator) {
    this.scan = scan;
    this.denominator = denominator;
  }

  private Optional<Select<Record1<Integer>>> count(DSLContext context) {
    return denominator.map(
        d ->
            context
                .selectCount()
                .from(QueryParts.table(d.table(), "t"))
                .where(d.filter().orElse(DSL.noCondition())));
  }

  @Override
  public Measurement execute(DSLContext context) {
    return execute(context, KeySink.NONE);
  }

  @Override
  public Measurement execute(DSLContext context, KeySink keys) {
    Measurement found = scan.execute(context, keys);
    Optional<Select<Record1<Integer>>> count = count(context);
    if (count.isEmpty()) {
      return found;
    }
    long rows = context.fetchValue(count.get()).longValue();
    return new Measurement(
        found.violations(), rows, found.samples(), found.notes(), found.schemaFindings());
  }

  @Override
  public List<String> sql(DSLContext context) {
    List<String> statements = new ArrayList<>(scan.sql(context));
    count(context).ifPresent(c -> statements.add(context.renderInlined(c)));
    return statements;
  }

  @Override
  public List<String> relations() {
    List<String> relations = new ArrayList<>(scan.relations());
    denominator.ifPresent(d -> relations.add(d.table().id().toString()));
    return relations;
  }
}
