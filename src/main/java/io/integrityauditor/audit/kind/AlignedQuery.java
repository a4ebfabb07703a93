package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.scan.AuditQuery;
import io.integrityauditor.audit.scan.CrossDatabaseRanges;
import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.audit.scan.KeySink;
import io.integrityauditor.audit.scan.Measurement;
import io.integrityauditor.audit.scan.RangeScan;
import io.integrityauditor.audit.scan.SampleKey;
import io.integrityauditor.audit.scan.ScanPartial;
import io.integrityauditor.audit.scan.Tracking;
import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.TableInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;

/**
 * A reference query plus its type mismatches: each mismatched pair adds one violation (or only a
 * note) and its sample comes first, so it stays visible however many rows violate. Rows checked
 * stays the number of rows: a mismatch is a finding about the schema, not a row.
 */
final class AlignedQuery implements AuditQuery {
  private final AuditQuery query;
  private final List<TypeAlignment.Pair> mismatched;
  private final TypeAlignment.Policy policy;
  private final boolean asText;
  private final int sampleSize;

  AlignedQuery(
      AuditQuery query,
      List<TypeAlignment.Pair> mismatched,
      TypeAlignment.Policy policy,
      boolean asText,
      int sampleSize) {
    this.query = query;
    this.mismatched = List.copyOf(mismatched);
    this.policy = policy;
    this.asText = asText;
    this.sampleSize = sampleSize;
  }

  @Override
  public Measurement execute(DSLContext context) {
    return align(query.execute(context));
  }

  @Override
  public Measurement execute(DSLContext context, KeySink keys) {
    return align(query.execute(context, keys));
  }

  /** Chunks and increments are scanned like the rows; the mismatches are added to the total. */
  @Override
  public Optional<RangeScan> rangeScan() {
    return query
        .rangeScan()
        .map(
            scan ->
                new RangeScan() {
                  @Override
                  public TableInfo table() {
                    return scan.table();
                  }

                  @Override
                  public Field<Object> column(ColumnInfo column) {
                    return scan.column(column);
                  }

                  @Override
                  public ScanPartial scan(DSLContext context, Condition range) {
                    return scan.scan(context, range);
                  }

                  @Override
                  public ScanPartial scan(
                      DSLContext context, Condition range, long expectedRows, Tracking keys) {
                    return scan.scan(context, range, expectedRows, keys);
                  }

                  @Override
                  public String sql(DSLContext context, Condition range) {
                    return scan.sql(context, range);
                  }

                  @Override
                  public Measurement measurement(ScanPartial total) {
                    return align(scan.measurement(total));
                  }

                  @Override
                  public List<String> relations() {
                    return scan.relations();
                  }
                });
  }

  /** Across databases the scan is the rows' too; the mismatches are added to its result. */
  @Override
  public Optional<CrossDatabaseScan> acrossDatabases() {
    return query
        .acrossDatabases()
        .map(
            scan ->
                new CrossDatabaseScan() {
                  @Override
                  public String parentTarget() {
                    return scan.parentTarget();
                  }

                  @Override
                  public Measurement execute(
                      DSLContext child, DSLContext parent, KeySink keys, Duration timeout) {
                    return align(scan.execute(child, parent, keys, timeout));
                  }

                  @Override
                  public List<String> childSql(DSLContext child) {
                    return scan.childSql(child);
                  }

                  @Override
                  public List<String> parentSql(DSLContext parent) {
                    return scan.parentSql(parent);
                  }

                  @Override
                  public List<String> relations() {
                    return scan.relations();
                  }

                  @Override
                  public Optional<CrossDatabaseRanges> ranges() {
                    return scan.ranges().map(AlignedQuery.this::aligned);
                  }
                });
  }

  /** Ranges across databases scanned like the rows; the mismatches added to the total. */
  private CrossDatabaseRanges aligned(CrossDatabaseRanges ranges) {
    return new CrossDatabaseRanges() {
      @Override
      public TableInfo table() {
        return ranges.table();
      }

      @Override
      public ColumnInfo key() {
        return ranges.key();
      }

      @Override
      public List<String> inKeyOrder(List<String> bounds) {
        return ranges.inKeyOrder(bounds);
      }

      @Override
      public ScanPartial scan(
          DSLContext child,
          DSLContext parent,
          Optional<String> lower,
          Optional<String> upper,
          Tracking keys,
          Duration timeout) {
        return ranges.scan(child, parent, lower, upper, keys, timeout);
      }

      @Override
      public Measurement measurement(ScanPartial total) {
        return align(ranges.measurement(total));
      }
    };
  }

  private Measurement align(Measurement rows) {
    List<String> notes = new ArrayList<>();
    List<SampleKey> samples = new ArrayList<>();
    for (TypeAlignment.Pair pair : mismatched) {
      notes.add(TypeAlignment.note(pair, asText));
      if (policy == TypeAlignment.Policy.VIOLATION) {
        samples.add(new SampleKey(Map.of(AuditKinds.TYPE_MISMATCH_KEY, pair.describe())));
      }
    }
    notes.addAll(rows.notes());
    long extra = policy == TypeAlignment.Policy.VIOLATION ? mismatched.size() : 0;
    samples.addAll(rows.samples());
    return new Measurement(
        rows.violations() + extra,
        rows.rowsChecked(),
        samples.subList(0, Math.min(sampleSize, samples.size())),
        notes,
        rows.schemaFindings() + extra);
  }

  @Override
  public List<String> sql(DSLContext context) {
    return query.sql(context);
  }

  @Override
  public List<String> relations() {
    return query.relations();
  }
}
