package io.integrityauditor.audit.kind;

import io.integrityauditor.audit.TableColumns;
import io.integrityauditor.audit.scan.QueryParts;
import io.integrityauditor.catalog.ColumnInfo;
import java.util.List;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * The parent side of a reference, ready to be LEFT JOINed: the parent table itself when its
 * reference columns are provably unique (the parent filter then goes into the ON clause), else
 * {@code SELECT DISTINCT} of them (filter inside) so that no child row joins twice.
 *
 * @param table what to join
 * @param filter what the ON clause must add (the parent filter, or nothing)
 * @param fields the parent's reference columns, in order
 */
record ParentJoin(Table<?> table, Condition filter, List<Field<Object>> fields) {

  static ParentJoin of(TableColumns.Bound parent, String alias) {
    List<Field<Object>> fields = QueryParts.fields(alias, parent.columns());
    Table<?> table = QueryParts.table(parent.table(), alias);
    Condition filter = parent.filter().orElse(DSL.noCondition());
    if (parent.table().isUniqueOn(parent.columns().stream().map(ColumnInfo::name).toList())) {
      return new ParentJoin(table, filter, fields);
    }
    Table<?> distinct = DSL.selectDistinct(fields).from(table).where(filter).asTable(alias);
    return new ParentJoin(distinct, DSL.noCondition(), fields);
  }

  /** The ON clause: the filter and each child column equal to its parent column. */
  Condition on(List<Field<Object>> childFields, List<TypeAlignment.Pair> pairs, boolean asText) {
    Condition on = filter;
    for (int i = 0; i < childFields.size(); i++) {
      on =
          on.and(
              TypeAlignment.comparable(childFields.get(i), pairs.get(i), asText)
                  .eq(TypeAlignment.comparable(fields.get(i), pairs.get(i), asText)));
    }
    return on;
  }

  /** True for a child row that found no parent row. */
  Condition missing() {
    return fields.get(0).isNull();
  }
}
