package io.integrityauditor.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;

/**
 * A {@code serve} node in a child JVM (Quartz allows one scheduler of a name per JVM, and a cluster
 * test needs real processes to kill). Output goes to {@code <dir>/<name>.log}.
 */
public final class ChildNode implements AutoCloseable {
  /**
   * How long a node may take to serve: about 5 s on an idle machine, 45 s and more on a 2-core
   * machine running several builds; the cap only ends a wait for a node that never comes up.
   */
  public static final Duration START_UP_CAP = Duration.ofMinutes(5);

  /**
   * libfaketime, to skew a child JVM's wall clock. The single-threaded build: with a fixed offset
   * it needs no lock, and the MT build's lock around every clock read made {@code
   * System.currentTimeMillis()} 50 times slower in a JVM.
   */
  public static final Path LIBFAKETIME =
      Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1");

  private final String name;
  private final Process process;
  private final Path log;

  private ChildNode(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  public static ChildNode serve(String name, Path config, Path dir) throws IOException {
    return serve(name, config, dir, Map.of());
  }

  /**
   * @param environment added to the child's environment (e.g. libfaketime's, to skew its clock)
   */
  public static ChildNode serve(String name, Path config, Path dir, Map<String, String> environment)
      throws IOException {
    Path log = dir.resolve(name + ".log");
    List<String> command = new ArrayList<>(java("-Xmx256m"));
    command.add("serve");
    command.add("--config");
    command.add(config.toString());
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("INTEGRITY_AUDITOR_LOG_LEVEL", "INFO");
    builder.environment().putAll(environment);
    builder.redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    return new ChildNode(name, builder.start(), log);
  }

  /**
   * A child starts with SIGHUP at its default, as a node started from a shell or by systemd does,
   * whatever the test run's own disposition: a build started under {@code nohup} passes SIGHUP
   * ignored to every child, whose JVM then never calls serve's reload handler (GNU env resets it; a
   * shell cannot: POSIX forbids resetting a signal ignored on entry).
   */
  public static final List<String> DEFAULT_HANGUP = List.of("env", "--default-signal=HUP");

  /**
   * The command line of a child JVM running {@code io.integrityauditor.cli.Main} on the tests'
   * class path, with {@code options} before the class; its arguments follow.
   */
  public static List<String> java(String... options) {
    List<String> command = new ArrayList<>(DEFAULT_HANGUP);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // C1 only: a child of a test lives seconds to a minute, too short for C2's code to pay for the
    // CPU its compiler threads take from the other children and the test while the JVM starts
    command.add("-XX:TieredStopAtLevel=1");
    command.addAll(List.of(options));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.integrityauditor.cli.Main");
    return command;
  }

  /**
   * The environment that puts a child JVM's wall clock {@code skew} off (libfaketime, in that
   * process only: the whole JVM, Quartz included, sees the skewed time).
   */
  public static Map<String, String> skewedClock(Duration skew) {
    return Map.of(
        "LD_PRELOAD",
        LIBFAKETIME.toString(),
        "FAKETIME",
        (skew.isNegative() ? "-" : "+") + skew.abs().toSeconds() + "s",
        // Only the wall clock: Java's timeouts and sleeps run on the monotonic clock. With the
        // monotonic clock faked, or libfaketime's "monotonic fix" of pthread_cond_timedwait on
        // (its default with this glibc), every timed wait of the JVM (Object.wait,
        // LockSupport.parkNanos) returned at once: Quartz, HikariCP and the JVM's own threads
        // spun, and the skewed nodes took minutes to start.
        "FAKETIME_DONT_FAKE_MONOTONIC",
        "1",
        "FAKETIME_FORCE_MONOTONIC_FIX",
        "0");
  }

  /**
   * {@link Eventually#within}, with the end of each node's log (its last 200 lines) in the failure.
   */
  public static void within(
      List<ChildNode> nodes, Duration timeout, String what, BooleanSupplier condition) {
    try {
      Eventually.within(timeout, what, condition);
    } catch (AssertionError e) {
      StringBuilder logs = new StringBuilder(e.getMessage());
      for (ChildNode node : nodes) {
        List<String> lines = node.log().lines().toList();
        logs.append("\n--- ").append(node.name()).append(" (end of its log):\n");
        lines
            .subList(Math.max(0, lines.size() - 200), lines.size())
            .forEach(line -> logs.append(line).append('\n'));
      }
      throw new AssertionError(logs.toString(), e);
    }
  }

  /**
   * Skips the calling test when libfaketime is missing, except in CI ({@code CI=true}), where it
   * fails: CI must not pass by skipping the tests of skewed clocks.
   */
  public static void assumeSkewableClocks() {
    if (!Files.exists(LIBFAKETIME)) {
      String missing = "skewed clocks need libfaketime (apt-get install libfaketime)";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(missing);
      }
      Assumptions.abort(missing);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String log() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * Waits until the node serves (its log says so), polling: how long a JVM takes to start depends
   * on the machine's load, so the cap is generous and only bounds a node that never comes up. Fails
   * at once, with the node's log, when the process exits instead.
   */
  public void awaitServing() {
    Duration cap = START_UP_CAP;
    long deadline = System.nanoTime() + cap.toNanos();
    while (!log().contains("serving;")) {
      if (!process.isAlive()) {
        throw new AssertionError(
            name + " exited with " + process.exitValue() + " before serving:\n" + log());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " not serving within " + cap + ":\n" + log());
      }
      Eventually.pause(100);
    }
  }

  /** SIGKILL: no shutdown hook, no cleanup — as if the machine died. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM: the graceful stop. Returns how long the process took to exit. */
  public Duration terminate(Duration wait) throws InterruptedException {
    long start = System.nanoTime();
    process.destroy();
    if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " did not exit within " + wait + " after SIGTERM:\n" + log());
    }
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** SIGSTOP / SIGCONT: a node that is alive but frozen (GC pause, VM steal, debugger). */
  public void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  public void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  private void signal(String signal) throws IOException, InterruptedException {
    new ProcessBuilder("kill", signal, String.valueOf(pid())).inheritIO().start().waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
