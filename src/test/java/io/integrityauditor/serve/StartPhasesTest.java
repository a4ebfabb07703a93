package io.integrityauditor.serve;

import static org.assertj.core.api.Assertions.assertThat;

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
        .contains("(JVM, command line and configuration 4321 ms, store opened ")
        .containsPattern("store opened \\d+ ms \\(cpu \\d+ ms\\), audits found scheduled \\d+ ms");
  }

  @Test
  void a_start_in_this_jvm_counts_from_the_jvm_start() {
    assertThat(StartPhases.sinceJvmStart().toString()).contains(" ms after the JVM started (");
    assertThat(StartPhases.sinceJvmStart().names())
        .containsExactly("JVM, command line and configuration");
  }
}
