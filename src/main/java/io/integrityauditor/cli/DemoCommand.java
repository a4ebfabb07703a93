package io.integrityauditor.cli;

import io.integrityauditor.Auditor;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.Environment;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.demo.BundledAudits;
import io.integrityauditor.demo.DemoDatabase;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.store.RunTrigger;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    description = {
      "Start an embedded PostgreSQL with a demo application database (modelled on the seed"
          + " documents, with known violations), run the shipped audits against it and print what"
          + " they found."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--audits",
      paramLabel = "DIR",
      description = "Audit files to run (default: ./audits if present, else the bundled ones).")
  Path auditDirectory;

  @Option(
      names = "--work-dir",
      paramLabel = "DIR",
      description =
          "Where the database and the generated configuration live (default: a temp dir).")
  Path workDirectory;

  PrintStream out = System.out;

  @Override
  public Integer call() throws IOException, SQLException {
    Path work =
        workDirectory != null
            ? Files.createDirectories(workDirectory)
            : Files.createTempDirectory("integrity-auditor-demo");
    Path audits = auditDirectory != null ? auditDirectory : defaultAudits(work);
    out.println("Starting an embedded PostgreSQL in " + work + " ...");
    try (DemoDatabase database = DemoDatabase.start(work.resolve("pgdata"))) {
      Path configFile =
          database.writeConfig(work, List.of(audits.toAbsolutePath() + "/*.yaml"), "");
      out.printf(
          "Demo database 'apms' on port %d (1 declared foreign key, many unenforced references).%n"
              + "Configuration: %s%nAudits: %s%n%n",
          database.port(), configFile, audits.toAbsolutePath());
      WorkerConfig config = new WorkerConfigLoader(Environment.system()).load(configFile);
      try (Auditor auditor = Auditor.open(config, Clock.systemUTC())) {
        List<Audit> selected = CheckCommand.selectValid(auditor, List.of());
        Auditor.Binding binding = auditor.bind(selected);
        if (!binding.problems().isEmpty()) {
          throw new ConfigException(binding.problems());
        }
        List<AuditResult> results = auditor.runAll(binding, selected, RunTrigger.CHECK);
        out.print(ResultReport.table(results));
        out.printf(
            "%nEvery run above is recorded in the store database '%s'.%n"
                + "Try the same against your own database: copy %s, point it at your database,"
                + " then run%n  java -jar target/integrity-auditor.jar check --config <file>%n",
            DemoDatabase.STORE_DATABASE, configFile);
        return ExitCodes.CLEAN;
      }
    }
  }

  private static Path defaultAudits(Path work) throws IOException {
    Path local = Path.of("audits");
    if (Files.isDirectory(local)) {
      try (Stream<Path> files = Files.list(local)) {
        if (files.anyMatch(f -> f.toString().endsWith(".yaml"))) {
          return local;
        }
      }
    }
    return BundledAudits.extractTo(work.resolve("audits"));
  }
}
