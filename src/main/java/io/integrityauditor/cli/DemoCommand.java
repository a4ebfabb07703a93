package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.Environment;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.demo.BundledAudits;
import io.integrityauditor.demo.DemoDatabase;
import io.integrityauditor.run.AuditResult;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.serve.Worker;
import io.integrityauditor.store.RunTrigger;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    mixinStandardHelpOptions = true,
    name = "demo",
    description = {
      "Start an embedded PostgreSQL with a demo application database (modelled on the seed"
          + " documents, with known violations) and a billing service's database referencing it,"
          + " run the shipped audits against them and print what they found."
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

  @Option(
      names = "--once",
      description = "Run the audits once and exit, instead of serving until Ctrl-C.")
  boolean once;

  @Option(
      names = "--port",
      defaultValue = "9464",
      description = "HTTP port of the demo worker (metrics, API); 0 picks a free one.")
  int port;

  @Option(
      names = "--every",
      defaultValue = "30s",
      paramLabel = "DURATION",
      description = "How often the demo worker re-runs every audit (default: ${DEFAULT-VALUE}).")
  String every;

  PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    Path work =
        workDirectory != null
            ? Files.createDirectories(workDirectory)
            : Files.createTempDirectory("integrity-auditor-demo");
    Path audits = auditDirectory != null ? auditDirectory : defaultAudits(work);
    out.println("Starting an embedded PostgreSQL in " + work + " ...");
    try (DemoDatabase database = DemoDatabase.start(work.resolve("pgdata"))) {
      String token = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
      Path tokenFile = work.resolve("http.token");
      Files.writeString(tokenFile, token + "\n");
      int httpPort = port == 0 || portIsFree(port) ? port : 0;
      String serveSettings =
          """
          scheduler:
            override_schedule: "@every %s"
            checkin_interval: 2s
            shutdown_grace: 5s
          http:
            port: %d
            token_file: http.token
          """
              .formatted(every, httpPort);
      Path configFile =
          database.writeConfig(work, List.of(audits.toAbsolutePath() + "/*.yaml"), serveSettings);
      out.printf(
          "Demo databases on port %d: 'apms' (1 declared foreign key, many unenforced"
              + " references) and 'billing' (a service's own database, referencing apms: no"
              + " database can enforce that).%n"
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
      }
      if (once) {
        return ExitCodes.CLEAN;
      }
      return ServeCommand.serveUntilStopped(
          () -> {
            Worker worker = Worker.start(config, Clock.systemUTC());
            String base = "http://localhost:" + worker.httpPort().orElse(0);
            out.printf(
                "%nServing: every audit now runs every %s on the Quartz scheduler (node '%s').%n"
                    + "  on-call pages %s/ (sign in with the token in %s)%n"
                    + "  metrics       %s/metrics%n"
                    + "  alerts        %s/api/alerts%n"
                    + "  health        %s/health/ready%n"
                    + "  trigger       curl -X POST -H \"Authorization: Bearer $(cat %s)\""
                    + " %s/api/audits/servers.dock/trigger%n"
                    + "  on-call CLI   java -jar target/integrity-auditor.jar alerts --config %s%n"
                    + "Press Ctrl-C to stop.%n",
                every,
                config.nodeId(),
                base,
                tokenFile,
                base,
                base,
                base,
                tokenFile,
                base,
                configFile);
            out.flush();
            return worker;
          });
    }
  }

  private static boolean portIsFree(int port) {
    try (ServerSocket socket = new ServerSocket(port)) {
      return true;
    } catch (IOException e) {
      return false;
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
