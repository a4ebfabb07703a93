package io.integrityauditor.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A node's start-up log line accounts for everything from the JVM's start to ready. */
class StartPhasesTest {
  @Test
  void the_time_before_the_start_comes_first_and_every_phase_follows_in_order_with_its_cpu() {
    StartPhases phases = new StartPhases(4321);
    phases.done("store opened");
    phases.done("audits found scheduled");

    assertThat(phases.names())
        .containsExactly(
            "JVM, command line and configuration", "store opened", "audits found scheduled");
    assertThat(phases.toString())
        .containsPattern(
            "\\(JVM, command line and configuration 4321 ms \\(process \\d+ ms\\), store opened ")
        .containsPattern(
            "store opened \\d+ ms \\(cpu \\d+ ms, process \\d+ ms\\), audits found scheduled"
                + " \\d+ ms");
  }

  @Test
  void work_another_thread_does_in_a_phase_counts_for_the_process_not_the_starting_thread()
      throws InterruptedException {
    StartPhases phases = new StartPhases(0);
    Thread worker = new Thread(() -> spin(Duration.ofMillis(300)));
    worker.start();
    worker.join();
    phases.done("store opened");

    Matcher used =
        Pattern.compile("store opened \\d+ ms \\(cpu (\\d+) ms, process (\\d+) ms\\)")
            .matcher(phases.toString());
    assertThat(used.find()).as(phases.toString()).isTrue();
    // the other thread's 300 ms of CPU is the process's; the starting thread only waited
    assertThat(Long.parseLong(used.group(2))).isGreaterThanOrEqualTo(250);
    assertThat(Long.parseLong(used.group(1))).isLessThan(150);
  }

  /** Uses {@code cpu} of the calling thread's own CPU time, however long that takes on a core. */
  private static void spin(Duration cpu) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long until = threads.getCurrentThreadCpuTime() + cpu.toNanos();
    long sum = 0;
    while (threads.getCurrentThreadCpuTime() < until) {
      sum += System.nanoTime() % 7;
    }
    assertThat(sum).isNotNegative();
  }

  @Test
  void a_start_in_this_jvm_counts_from_the_jvm_start() {
    assertThat(StartPhases.sinceJvmStart().toString()).contains(" ms after the JVM started (");
    assertThat(StartPhases.sinceJvmStart().names())
        .containsExactly("JVM, command line and configuration");
  }
}
