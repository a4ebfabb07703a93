package io.integrityauditor.cli;

import io.integrityauditor.AuditorException;
import io.integrityauditor.ExitCodes;
import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditFileLoader;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.audit.kind.AuditKinds;
import io.integrityauditor.audit.kind.OrphanSpec;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Durations;
import io.integrityauditor.config.Environment;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.Suggest;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.store.CleanHistory;
import io.integrityauditor.store.Store;
import io.integrityauditor.suggest.Graduation;
import io.integrityauditor.suggest.SuggestSettings;
import io.integrityauditor.suggest.Suggester;
import io.integrityauditor.suggest.Suggestion;
import io.integrityauditor.targets.Targets;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "suggest",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Discover references that have no foreign key: infer them from column and table names,"
          + " check each against a bounded sample of the data (read-only), and write an audit file"
          + " with one orphan audit per supported reference and its evidence as a comment.",
      "Exit codes: 0 written, 2 configuration or argument error, 3 the target could not be read."
    })
final class SuggestCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--target",
      paramLabel = "NAME",
      description = "Target to examine (default: the only configured target).")
  String target;

  @Option(
      names = "--schema",
      paramLabel = "S",
      description =
          "Examine only this schema (repeatable); parents are searched in the same set."
              + " Default: every schema.")
  List<String> schemas = new ArrayList<>();

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "Write the audit file here (overwritten); '-' or absent: standard output.")
  String out;

  @Option(
      names = "--migrations",
      paramLabel = "FILE",
      description =
          "Also write the SQL that would enforce the proposed references as foreign keys (index"
              + " CONCURRENTLY, ADD CONSTRAINT ... NOT VALID, VALIDATE CONSTRAINT), for review:"
              + " never applied by the tool.")
  String migrations;

  @Option(
      names = "--clean-for",
      paramLabel = "DURATION",
      description =
          "With --migrations: write the foreign key only for references whose orphan audit's"
              + " completed runs (in the store) have been clean at least this long, e.g. 30d;"
              + " the others are listed with the reason (never run, failed runs only, violations"
              + " on a date). Needs the store and the audit files of the configuration.")
  String cleanFor;

  @Option(
      names = "--sample-rows",
      paramLabel = "N",
      description =
          "Child rows read per candidate column; smaller tables are read whole"
              + " (default: ${DEFAULT-VALUE}).",
      defaultValue = "10000")
  int sampleRows;

  @Option(
      names = "--min-coverage",
      paramLabel = "R",
      description =
          "Share of distinct child values that must exist in the parent for a reference"
              + " to be proposed, 0 < R <= 1 (default: ${DEFAULT-VALUE}).",
      defaultValue = "0.9")
  double minCoverage;

  @Option(
      names = "--exclude",
      paramLabel = "GLOB",
      description =
          "Columns holding ids of other systems, e.g. 'crm_*' or 'orders.ref_*'"
              + " (repeatable; added to the defaults: stripe_*, external_*, ...).")
  List<String> excludes = new ArrayList<>();

  @Option(
      names = "--no-default-excludes",
      description = "Do not apply the default exclusion patterns.")
  boolean noDefaultExcludes;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description = "Statement timeout of each evidence query (default: ${DEFAULT-VALUE}).",
      defaultValue = "30s")
  String timeout;

  /** What the audit file loader accepts (YamlTree.MAX_FILE_BYTES). */
  private static final long MAX_AUDIT_FILE_BYTES = 1024 * 1024;

  PrintStream stdout = System.out;
  PrintStream stderr = System.err;

  @Override
  public Integer call() throws IOException {
    SuggestSettings settings = settings();
    Optional<Duration> clean = cleanFor();
    // the audit files may not exist yet: writing the first one is what suggest is for (but
    // graduating by run history reads the configured audits and the store)
    WorkerConfig workerConfig =
        clean.isPresent()
            ? config.loadWithoutServing()
            : new WorkerConfigLoader(Environment.system())
                .withoutServing()
                .loadTargetsOnly(config.path());
    String name = target(workerConfig);
    Suggestion suggestion;
    try (Targets targets = new Targets(workerConfig.targets(), workerConfig.connectionBudget())) {
      Catalog catalog;
      try {
        catalog = targets.catalog(name);
      } catch (SQLException | RuntimeException e) {
        throw new TargetUnavailable(name, e);
      }
      List<String> unknown =
          settings.schemas().stream()
              .filter(s -> catalog.schemaNames().stream().noneMatch(s::equalsIgnoreCase))
              .toList();
      if (!unknown.isEmpty()) {
        throw argument(
            "--schema",
            "target "
                + name
                + " has no table in schema "
                + String.join(", ", unknown)
                + Suggest.didYouMean(unknown.get(0), catalog.schemaNames()));
      }
      Optional<Graduation> graduation =
          clean.isEmpty()
              ? Optional.empty()
              : Optional.of(graduation(workerConfig, name, catalog, clean.get()));
      try {
        suggestion =
            Suggester.suggest(name, catalog, targets.dataSource(name), settings, graduation);
      } catch (SQLException e) {
        throw new TargetUnavailable(name, e);
      }
    }
    if (out == null || out.equals("-")) {
      stdout.print(suggestion.yaml());
      stdout.flush();
    } else {
      write(out, suggestion.yaml());
    }
    if (migrations != null) {
      write(migrations, suggestion.migrations());
    }
    if (suggestion.yaml().getBytes(StandardCharsets.UTF_8).length > MAX_AUDIT_FILE_BYTES) {
      stderr.println(
          "warning: the file is larger than the 1 MiB an audit file may be; split it with"
              + " --schema");
    }
    // before the counts: "0 audits proposed" alone reads as "no references"
    suggestion.unreadable().forEach(warning -> stderr.println("warning: " + warning));
    stderr.printf(
        "%d audit%s proposed%s, %d not proposed for type alignment, %d column%s rejected,"
            + " %d foreign key%s already enforced%s%n",
        suggestion.proposed(),
        suggestion.proposed() == 1 ? "" : "s",
        suggestion.broken() == 0
            ? ""
            : " (" + suggestion.broken() + " of them likely references with broken data)",
        suggestion.typeProblems(),
        suggestion.rejected(),
        suggestion.rejected() == 1 ? "" : "s",
        suggestion.enforced(),
        suggestion.enforced() == 1 ? "" : "s",
        out == null || out.equals("-") ? "" : "; written to " + out);
    if (migrations != null) {
      stderr.printf(
          "%s written to %s%s%n",
          Plural.of(suggestion.enforceable(), "foreign key"),
          migrations,
          clean.isEmpty()
              ? ""
              : "; "
                  + suggestion.heldBack().size()
                  + " held back by run history (--clean-for "
                  + cleanFor
                  + ")"
                  + (suggestion.heldBack().isEmpty() ? "" : ":"));
      suggestion.heldBack().forEach(line -> stderr.println("  " + line));
    }
    return ExitCodes.CLEAN;
  }

  private Optional<Duration> cleanFor() {
    if (cleanFor == null) {
      return Optional.empty();
    }
    if (migrations == null) {
      throw argument("--clean-for", "needs --migrations FILE: it chooses what that file enforces");
    }
    Optional<Duration> parsed = Durations.parse(cleanFor);
    if (parsed.isEmpty() || parsed.get().isNegative() || parsed.get().toDays() > 3650) {
      throw argument(
          "--clean-for",
          "must be a duration between 0 and 3650d (e.g. 30d, 12h), found " + cleanFor);
    }
    return parsed;
  }

  /**
   * The configured orphan audits of the target, by the reference they check, and their run history.
   * Only audits without filters that compare natively check what the foreign key will.
   */
  private static Graduation graduation(
      WorkerConfig workerConfig, String target, Catalog catalog, Duration cleanFor) {
    AuditSet set =
        new AuditFileLoader(workerConfig.targets().keySet(), AuditKinds.ALL)
            .load(workerConfig.auditFiles());
    if (!set.problems().isEmpty()) {
      throw new ConfigException(set.problems());
    }
    Map<String, List<String>> auditsByReference = new TreeMap<>();
    for (Audit audit : set.audits()) {
      if (audit.target().equals(target)
          && audit.spec() instanceof OrphanSpec orphan
          && !orphan.compareAsText()
          && orphan.child().filter().isEmpty()
          && orphan.parent().filter().isEmpty()
          && !orphan.child().columns().isEmpty()) {
        Optional<TableInfo> child = catalog.resolve(orphan.child().table()).table();
        Optional<TableInfo> parent = catalog.resolve(orphan.parent().table()).table();
        if (child.isPresent() && parent.isPresent()) {
          auditsByReference
              .computeIfAbsent(
                  Graduation.reference(
                      child.get().id(),
                      orphan.child().columns(),
                      parent.get().id(),
                      orphan.parent().columns()),
                  k -> new ArrayList<>())
              .add(audit.id());
        }
      }
    }
    List<String> ids = auditsByReference.values().stream().flatMap(List::stream).toList();
    try (Store store = StoreAccess.open(workerConfig, "suggest --clean-for")) {
      return new Graduation(
          cleanFor, Instant.now(), auditsByReference, CleanHistory.of(store, ids));
    }
  }

  private static void write(String path, String text) throws IOException {
    Path file = Path.of(path);
    if (file.toAbsolutePath().getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  private SuggestSettings settings() {
    if (sampleRows < 1 || sampleRows > 10_000_000) {
      throw argument("--sample-rows", "must be between 1 and 10000000, found " + sampleRows);
    }
    if (!(minCoverage > 0 && minCoverage <= 1)) {
      throw argument("--min-coverage", "must be above 0 and at most 1, found " + minCoverage);
    }
    Optional<Duration> parsed = Durations.parse(timeout);
    if (parsed.isEmpty() || parsed.get().toMillis() < 100 || parsed.get().toHours() > 24) {
      throw argument(
          "--timeout", "must be a duration between 100ms and 24h (e.g. 30s, 5m), found " + timeout);
    }
    List<String> patterns = new ArrayList<>();
    if (!noDefaultExcludes) {
      patterns.addAll(SuggestSettings.DEFAULT_EXCLUDES);
    }
    for (String pattern : excludes) {
      if (pattern.isBlank()) {
        throw argument("--exclude", "must not be empty");
      }
      if (!patterns.contains(pattern)) {
        patterns.add(pattern);
      }
    }
    return new SuggestSettings(schemas, sampleRows, minCoverage, patterns, parsed.get());
  }

  private String target(WorkerConfig workerConfig) {
    List<String> names = workerConfig.targets().keySet().stream().sorted().toList();
    if (target == null) {
      if (names.size() == 1) {
        return names.get(0);
      }
      throw argument(
          "--target", "is required when several targets are configured: one of " + names);
    }
    if (!workerConfig.targets().containsKey(target)) {
      throw argument(
          "--target",
          "unknown target '"
              + target
              + "'"
              + Suggest.didYouMean(target, names)
              + "; configured targets: "
              + String.join(", ", names));
    }
    return target;
  }

  private static ConfigException argument(String option, String message) {
    return new ConfigException(
        new ConfigProblem(new Location("command line", 0), null, option, message));
  }

  /** The target's catalog or connection could not be had: exit 3, nothing written. */
  static final class TargetUnavailable extends AuditorException {
    TargetUnavailable(String target, Exception cause) {
      super(
          "cannot read target "
              + target
              + ": "
              + Redactor.redact(firstLine(cause.getMessage()))
              + "; nothing was written. "
              + nextStep(cause.getMessage()),
          cause);
    }

    /** What to do about a target that could not be read (a timeout is often only a slow server). */
    static String nextStep(String message) {
      return message != null && message.toLowerCase(Locale.ROOT).contains("timed out")
          ? "The server did not answer within the target's connect_timeout (default 10s): if it is"
              + " only slow or busy, raise connect_timeout and run suggest again"
          : "Check that the database is up and the role may connect (`validate` checks every"
              + " target), then run suggest again";
    }

    private static String firstLine(String message) {
      if (message == null) {
        return "unknown error";
      }
      int newline = message.indexOf('\n');
      return newline < 0 ? message : message.substring(0, newline);
    }
  }
}
