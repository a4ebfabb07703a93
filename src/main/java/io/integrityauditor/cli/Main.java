package io.integrityauditor.cli;

import io.integrityauditor.AuditorException;
import io.integrityauditor.ExitCodes;
import io.integrityauditor.Plural;
import io.integrityauditor.bench.BenchCommand;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Redactor;
import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

@Command(
    name = "integrity-auditor",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Scheduled data-integrity audits for PostgreSQL databases whose foreign keys are missing.")
public final class Main implements Runnable {
  /** Commands that run for a while and should say what they do. */
  private static final Set<String> CHATTY = Set.of("serve", "demo");

  /**
   * The subcommands, in the order the usage lists them. A command line that names one of them gets
   * only that one: picocli reflects over every option of every command it is given, and doing so
   * for the eleven a start of {@code serve} never runs was about a quarter of the command line's
   * set-up (a node's start on a loaded machine waited seconds for it). Usage, {@code help} and
   * anything else get all of them (a mistyped command's suggestions included).
   */
  private static final List<Class<?>> COMMANDS =
      List.of(
          DemoCommand.class,
          BenchCommand.class,
          ServeCommand.class,
          CheckCommand.class,
          ValidateCommand.class,
          ExplainCommand.class,
          SuggestCommand.class,
          TriggerCommand.class,
          AlertsCommand.class,
          AckCommand.class,
          RunsCommand.class,
          BaselineCommand.class,
          CommandLine.HelpCommand.class);

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns the exit code (used by tests, too). */
  public static int execute(String... args) {
    configureLogging(args);
    CommandLine commandLine = commandLine(args);
    commandLine.setExecutionExceptionHandler(new ErrorHandler());
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    return commandLine.execute(args);
  }

  /** The command line with the subcommand {@code args} name, or with all of them. */
  static CommandLine commandLine(String... args) {
    CommandLine commandLine = new CommandLine(new Main());
    String named = args.length > 0 ? args[0] : "";
    boolean one =
        !named.equals("help") && COMMANDS.stream().anyMatch(command -> name(command).equals(named));
    for (Class<?> command : COMMANDS) {
      if (!one || name(command).equals(named)) {
        commandLine.addSubcommand(command);
      }
    }
    return commandLine;
  }

  private static String name(Class<?> command) {
    return command.getAnnotation(Command.class).name();
  }

  @Override
  public void run() {
    commandLine().usage(System.out);
  }

  /**
   * Logback reads {@code integrity.auditor.log.level} when it starts, so this runs before any
   * logger exists: long-running commands log at INFO, one-shot commands only warnings, and
   * INTEGRITY_AUDITOR_LOG_LEVEL overrides both.
   */
  private static void configureLogging(String[] args) {
    System.setProperty("org.jooq.no-logo", "true");
    System.setProperty("org.jooq.no-tips", "true");
    String level = System.getenv("INTEGRITY_AUDITOR_LOG_LEVEL");
    if (level == null || level.isBlank()) {
      level = args.length > 0 && CHATTY.contains(args[0]) ? "INFO" : "WARN";
    }
    System.setProperty("integrity.auditor.log.level", level);
    // Libraries (HikariCP, Quartz, Flyway, jOOQ) stay at WARN unless asked: their DEBUG output
    // is for diagnosing them, and goes through the same secret redaction.
    String libraries = System.getenv("INTEGRITY_AUDITOR_LIBRARY_LOG_LEVEL");
    if (libraries != null && !libraries.isBlank()) {
      System.setProperty("integrity.auditor.library.log.level", libraries);
      System.setProperty("integrity.auditor.root.log.level", libraries);
    }
  }

  /** Turns failures into clear messages and the contract's exit codes; no stack traces. */
  static final class ErrorHandler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, ParseResult parsed) {
      PrintWriter err = commandLine.getErr();
      if (e instanceof ConfigException config) {
        for (ConfigProblem problem : config.problems()) {
          err.println(Redactor.redact(problem.format()));
        }
        err.printf(
            "%s; nothing was run.%n", Plural.of(config.problems().size(), "configuration problem"));
        return ExitCodes.CONFIG_ERROR;
      }
      if (e instanceof UsageException) {
        err.println("error: " + Redactor.redact(e.getMessage()));
        return ExitCodes.CONFIG_ERROR;
      }
      if (e instanceof AuditorException) {
        err.println("error: " + Redactor.redact(e.getMessage()));
        return ExitCodes.COULD_NOT_RUN;
      }
      LoggerFactory.getLogger(Main.class).debug("unexpected failure", e);
      err.println(
          "error: "
              + Redactor.redact(String.valueOf(e.getMessage()))
              + " ("
              + e.getClass().getSimpleName()
              + "; set INTEGRITY_AUDITOR_LOG_LEVEL=DEBUG for details)");
      return ExitCodes.COULD_NOT_RUN;
    }
  }
}
