package io.integrityauditor.suggest;

import io.integrityauditor.catalog.IndexInfo;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.suggest.Report.Proposal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Graduation of a proposed reference to a real foreign key: the migration that enforces it, written
 * for a DBA to review and apply with their own tools, never applied by {@code suggest}. Per
 * reference, three statements that each take their own, short lock:
 *
 * <ol>
 *   <li>{@code CREATE INDEX CONCURRENTLY} on the child columns, unless an index already starts with
 *       them (a delete in the parent looks up children through it);
 *   <li>{@code ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID}: enforced for new rows at once, old
 *       rows not read;
 *   <li>{@code VALIDATE CONSTRAINT}: reads the old rows without blocking writes; fails on an
 *       orphan.
 * </ol>
 *
 * <p>Only references whose sample had no orphan are written as statements; the others, and the ones
 * PostgreSQL cannot add {@code NOT VALID} (a partitioned child), are written as comments saying
 * why.
 */
final class MigrationWriter {
  /** PostgreSQL truncates identifiers to this many bytes. */
  private static final int MAX_IDENTIFIER_BYTES = 63;

  private static final DSLContext POSTGRES = DSL.using(SQLDialect.POSTGRES);

  private MigrationWriter() {}

  /**
   * The migration file.
   *
   * @param sql its text
   * @param written references whose statements were written
   * @param heldBack references not written because of their audit's run history ({@code
   *     --clean-for}), as {@code <audit id>: <why>}
   */
  record Migrations(String sql, int written, List<String> heldBack) {
    Migrations {
      heldBack = List.copyOf(heldBack);
    }
  }

  static Migrations sql(Report report, Optional<Graduation> graduation) {
    StringBuilder out = new StringBuilder();
    out.append(
        """
        -- Foreign keys for the references proposed by `integrity-auditor suggest` for target %s.
        -- Written for review, never applied by the tool. Apply each step on its own, outside a
        -- transaction block (CREATE INDEX CONCURRENTLY cannot run inside one; a migration tool
        -- must not wrap this file in a transaction), and ideally once the reference's audit has
        -- been clean for a while.
        --
        -- Lock impact, per reference:
        --   1. CREATE INDEX CONCURRENTLY: SHARE UPDATE EXCLUSIVE on the child: reads and writes go
        --      on; it takes two scans of the table, and a failed build leaves an INVALID index to
        --      drop before retrying. Skipped when an index already starts with the columns.
        --   2. ADD CONSTRAINT ... NOT VALID: SHARE ROW EXCLUSIVE on child and parent, held for an
        --      instant (no row is read): writes wait only behind running transactions. New and
        --      updated rows are checked from then on. Set a lock_timeout so it gives up rather
        --      than queue in front of the application's writes.
        --   3. VALIDATE CONSTRAINT: SHARE UPDATE EXCLUSIVE on the child, ROW SHARE on the parent:
        --      reads every existing row while reads and writes go on. It fails (SQLSTATE 23503)
        --      if an orphan exists: run the audit, fix the data, and validate again.
        """
            .formatted(report.target()));
    graduation.ifPresent(
        g ->
            out.append(
                "--\n-- Only references whose orphan audit has been clean for at least %s (its\n"
                        .formatted(Graduation.days(g.cleanFor()))
                    + "-- completed runs in the store) are written; the others say why not.\n"));
    Set<String> names = new HashSet<>();
    int written = 0;
    List<String> heldBack = new ArrayList<>();
    for (Proposal proposal : report.proposals()) {
      out.append('\n');
      if (reference(proposal, graduation, names, out, heldBack)) {
        written++;
      }
    }
    if (report.proposals().isEmpty()) {
      out.append("\n-- No reference was proposed: nothing to enforce.\n");
    }
    return new Migrations(out.toString(), written, heldBack);
  }

  /** Writes one reference; true when its statements were written. */
  private static boolean reference(
      Proposal proposal,
      Optional<Graduation> graduation,
      Set<String> names,
      StringBuilder out,
      List<String> heldBack) {
    Candidate candidate = proposal.candidate();
    Side child = candidate.child();
    Side parent = candidate.parent();
    out.append("-- ")
        .append(candidate.describe())
        .append(" (audit ")
        .append(proposal.id())
        .append(")\n");
    if (child.table().kind() == TableInfo.Kind.PARTITIONED_TABLE) {
      out.append(
          "-- not written: PostgreSQL cannot add a NOT VALID foreign key to a partitioned table;"
              + " add it per partition, or in a maintenance window\n");
      return false;
    }
    if (graduation.isPresent()) {
      Graduation.Verdict verdict = graduation.get().verdict(child, parent);
      if (!verdict.graduates()) {
        out.append("-- not written: ").append(verdict.note()).append('\n');
        heldBack.add(proposal.id() + ": " + verdict.note());
        return false;
      }
      out.append("-- ").append(verdict.note()).append('\n');
    }
    long orphans = proposal.evidence().sample().distinct() - proposal.evidence().found();
    if (proposal.noData() || orphans > 0) {
      out.append("-- not written: ")
          .append(
              proposal.noData()
                  ? "no data was measured yet"
                  : Evidence.count(orphans) + " value(s) of the sample have no parent")
          .append("; run the audit until it is clean, then run suggest --migrations again\n");
      return false;
    }
    String table =
        POSTGRES.render(DSL.name(child.table().id().schema(), child.table().id().name()));
    String columns = columns(child);
    if (!indexed(child)) {
      String index =
          unique(
              child.table().id().name() + "_" + String.join("_", child.columnNames()) + "_idx",
              names);
      out.append("CREATE INDEX CONCURRENTLY IF NOT EXISTS ")
          .append(POSTGRES.render(DSL.name(index)))
          .append(" ON ")
          .append(table)
          .append(" (")
          .append(columns)
          .append(");\n");
    }
    String constraint =
        POSTGRES.render(
            DSL.name(
                unique(
                    child.table().id().name()
                        + "_"
                        + String.join("_", child.columnNames())
                        + "_fkey",
                    names)));
    out.append("ALTER TABLE ")
        .append(table)
        .append(" ADD CONSTRAINT ")
        .append(constraint)
        .append(" FOREIGN KEY (")
        .append(columns)
        .append(") REFERENCES ")
        .append(POSTGRES.render(DSL.name(parent.table().id().schema(), parent.table().id().name())))
        .append(" (")
        .append(columns(parent))
        .append(") NOT VALID;\n");
    out.append("ALTER TABLE ")
        .append(table)
        .append(" VALIDATE CONSTRAINT ")
        .append(constraint)
        .append(";\n");
    return true;
  }

  /** An index whose leading columns are the reference's (in any order) serves the lookups. */
  private static boolean indexed(Side child) {
    Set<String> wanted = Set.copyOf(child.columnNames());
    for (IndexInfo index : child.table().indexes()) {
      List<String> columns = index.columns();
      if (!index.partial()
          && columns.size() >= wanted.size()
          && Set.copyOf(columns.subList(0, wanted.size())).equals(wanted)) {
        return true;
      }
    }
    return false;
  }

  private static String columns(Side side) {
    return side.columnNames().stream()
        .map(c -> POSTGRES.render(DSL.name(c)))
        .collect(Collectors.joining(", "));
  }

  /** A name of at most 63 bytes, not yet used in this file. */
  private static String unique(String wanted, Set<String> taken) {
    String base = truncate(wanted, MAX_IDENTIFIER_BYTES - 3);
    String name = base;
    for (int n = 2; !taken.add(name); n++) {
      name = base + n;
    }
    return name;
  }

  private static String truncate(String name, int bytes) {
    String result = name;
    while (result.getBytes(StandardCharsets.UTF_8).length > bytes) {
      result = result.substring(0, result.length() - 1);
    }
    return result;
  }
}
