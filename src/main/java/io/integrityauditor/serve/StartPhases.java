package io.integrityauditor.serve;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;

/**
 * How long each phase of a node's start took, for its start-up log line: where the time to ready
 * goes (store, tenants, files, catalogs and binding, jobs, scheduler, HTTP) is then read from the
 * log of any start, not guessed. Each phase also says how much CPU the starting thread used in it:
 * on a loaded machine a phase far longer than its CPU was waiting (for a core, the store, a lock),
 * not working. Next to it, the CPU the whole process used in the phase (every thread: the JIT
 * compilers, GC, the connection pool's threads, the catalog readers): work handed to another thread
 * (a pool opening the store's first connection, for one) shows there, not as the starting thread's.
 * The time from the JVM's start to the first phase (class loading, the command line, the
 * configuration) is the first entry, so nothing between process start and ready goes unlogged.
 */
final class StartPhases {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final OperatingSystemMXBean PROCESS =
      ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);

  private final long started = System.nanoTime();
  private long last = started;
  private long lastCpu = cpuNanos();
  private long lastProcessCpu = processCpuNanos();
  private final long beforeMillis;
  private final List<String> phases = new ArrayList<>();

  /**
   * @param jvmStartedMillisAgo how long before now the JVM started: logged as the first phase
   */
  StartPhases(long jvmStartedMillisAgo) {
    beforeMillis = Math.max(0, jvmStartedMillisAgo);
    phases.add(
        "JVM, command line and configuration "
            + beforeMillis
            + " ms"
            + (lastProcessCpu < 0 ? "" : " (process " + lastProcessCpu / 1_000_000 + " ms)"));
  }

  /** Phases of a start in this JVM, the time since the JVM's start logged first. */
  static StartPhases sinceJvmStart() {
    return new StartPhases(
        System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime());
  }

  /** Ends the phase running since the previous one (or the start); called on the start thread. */
  synchronized void done(String phase) {
    long now = System.nanoTime();
    long cpu = cpuNanos();
    long processCpu = processCpuNanos();
    List<String> used = new ArrayList<>();
    if (cpu >= 0 && lastCpu >= 0) {
      used.add("cpu " + (cpu - lastCpu) / 1_000_000 + " ms");
    }
    if (processCpu >= 0 && lastProcessCpu >= 0) {
      used.add("process " + (processCpu - lastProcessCpu) / 1_000_000 + " ms");
    }
    phases.add(
        phase
            + " "
            + (now - last) / 1_000_000
            + " ms"
            + (used.isEmpty() ? "" : " (" + String.join(", ", used) + ")"));
    last = now;
    lastCpu = cpu;
    lastProcessCpu = processCpu;
  }

  /** The phases' names in order, without their times. */
  synchronized List<String> names() {
    return phases.stream().map(p -> p.replaceAll(" \\d+ ms.*$", "")).toList();
  }

  /** CPU time of the calling thread, or -1 where the JVM does not measure it. */
  private static long cpuNanos() {
    return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : -1;
  }

  /** CPU time of the whole process (all its threads), or -1 where the JVM does not measure it. */
  private static long processCpuNanos() {
    return PROCESS == null ? -1 : PROCESS.getProcessCpuTime();
  }

  @Override
  public synchronized String toString() {
    return beforeMillis
        + (last - started) / 1_000_000
        + " ms after the JVM started ("
        + String.join(", ", phases)
        + ")";
  }
}
