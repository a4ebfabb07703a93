package io.integrityauditor.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the command line in-process and captures what it prints. */
public final class CliRunner {
  private CliRunner() {}

  /** Exit code, stdout, stderr. */
  public record Outcome(int code, String out, String err) {}

  /** {@code command --config CONFIG args...} */
  public static Outcome execute(String command, java.nio.file.Path config, String... args) {
    String[] full = new String[args.length + 3];
    full[0] = command;
    full[1] = "--config";
    full[2] = config.toString();
    System.arraycopy(args, 0, full, 3, args.length);
    return execute(full);
  }

  public static synchronized Outcome execute(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.execute(args);
      return new Outcome(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
