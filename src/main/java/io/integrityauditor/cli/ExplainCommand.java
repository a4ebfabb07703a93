package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.BoundAudit;
import io.integrityauditor.audit.scan.CrossDatabaseScan;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.Durations;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.run.Explainer;
import io.integrityauditor.run.RunError;
import io.integrityauditor.serve.Auditor;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    mixinStandardHelpOptions = true,
    name = "explain",
    description = {
      "Print the SQL an audit runs and PostgreSQL's EXPLAIN of it on the audit's target, in the"
          + " same READ ONLY transaction and timeouts as a run. Without --analyze the audit query"
          + " is planned, not executed.",
      "Exit codes: 0 explained, 2 configuration error, 3 the target or EXPLAIN failed."
    })
final class ExplainCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Parameters(paramLabel = "AUDIT_ID", description = "The id of the audit to explain.")
  String auditId;

  @Option(
      names = "--analyze",
      description =
          "EXPLAIN (ANALYZE, BUFFERS): run the statements to show actual rows and timings (still"
              + " read-only, rolled back).")
  boolean analyze;

  PrintStream out = System.out;

  @Override
  public Integer call() {
    WorkerConfig workerConfig = config.loadWithoutServing();
    try (Auditor auditor = Auditor.open(workerConfig.withoutStore(), Clock.systemUTC())) {
      Audit audit = CheckCommand.selectValid(auditor, List.of(auditId), "AUDIT_ID").get(0);
      Auditor.Binding binding = auditor.bind(List.of(audit));
      if (!binding.problems().isEmpty()) {
        throw new ConfigException(binding.problems());
      }
      RunError unavailable = binding.unavailable().get(audit.id());
      if (unavailable != null) {
        System.err.println("error: [" + unavailable.errorClass() + "] " + unavailable.message());
        return ExitCodes.COULD_NOT_RUN;
      }
      BoundAudit bound = binding.bound().get(0);
      Optional<CrossDatabaseScan> across = bound.query().acrossDatabases();
      Explainer.Explanation explanation =
          across.isPresent()
              ? Explainer.explain(
                  audit,
                  across.get(),
                  auditor.targets().dataSource(audit.target()),
                  auditor.targets().dataSource(across.get().parentTarget()),
                  analyze)
              : Explainer.explain(
                  audit, bound.query(), auditor.targets().dataSource(audit.target()), analyze);
      String limits =
          "statement_timeout "
              + Durations.format(audit.timeout())
              + ", lock_timeout "
              + Durations.format(audit.lockTimeout());
      out.printf("-- audit %s (kind: %s) on target %s%n", audit.id(), audit.kind(), audit.target());
      if (explanation.chunks().isPresent()) {
        Explainer.ChunkPlan chunks = explanation.chunks().get();
        out.printf(
            "-- runs in chunks: %s of %s by %s (about %s, planned now from the table's"
                + " statistics); each statement covers one or more consecutive ranges, sized as"
                + " the run goes to take about chunk_target %s, in its own READ ONLY transaction"
                + " (%s); shown: the statement of the first range (the others differ in their"
                + " bounds); bind values are shown inlined%n",
            Plural.of(chunks.ranges(), "key range"),
            chunks.table(),
            chunks.key(),
            Plural.of(chunks.estimatedRows(), "row"),
            Durations.format(audit.execution().chunkTarget()),
            limits);
      } else if (across.isPresent()) {
        out.printf(
            "-- runs across databases: one READ ONLY transaction on %s and one (READ COMMITTED)"
                + " on %s (%s); both tables stream ordered by the key and merge in the worker;"
                + " candidate violations are re-checked on %s in batches, violations fingerprinted"
                + " on %s in batches (shown with no values); bind values are shown inlined%n",
            audit.target(),
            across.get().parentTarget(),
            limits,
            across.get().parentTarget(),
            audit.target());
      } else {
        out.printf(
            "-- runs in one READ ONLY transaction: %s; bind values are shown inlined%n", limits);
      }
      bound.warnings().forEach(w -> out.println("-- " + Redactor.redact(w.formatWarning())));
      int count = explanation.statements().size();
      for (int i = 0; i < count; i++) {
        Explainer.Explained statement = explanation.statements().get(i);
        out.printf(
            "%n-- %s %d%s%n%s;%n%n-- EXPLAIN%s%n",
            explanation.chunks().isPresent() ? "chunk statement" : "statement",
            i + 1,
            statement.target().map(t -> " on target " + t).orElse(""),
            statement.sql(),
            analyze ? " ANALYZE" : "");
        statement.plan().forEach(line -> out.println("-- " + line));
      }
      if (explanation.error().isPresent()) {
        RunError error = explanation.error().get();
        System.err.println("error: [" + error.errorClass() + "] " + error.message());
        return ExitCodes.COULD_NOT_RUN;
      }
      return ExitCodes.CLEAN;
    }
  }
}
