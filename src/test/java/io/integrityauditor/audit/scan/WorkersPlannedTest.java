package io.integrityauditor.audit.scan;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the scan reads a statement's plan to choose between COPY and a cursor. */
class WorkersPlannedTest {
  @Test
  void the_most_workers_of_any_gather_count_and_a_plan_without_gather_has_none() {
    assertThat(
            ViolationScan.workersPlanned(
                """
                Subquery Scan on u
                  ->  ProjectSet
                        ->  Finalize Aggregate
                              ->  Gather
                                    Workers Planned: 1
                                    ->  Partial Aggregate
                """))
        .isEqualTo(1);
    assertThat(
            ViolationScan.workersPlanned(
                "Gather\n  Workers Planned: 2\nGather Merge\n  Workers Planned: 3\n"))
        .isEqualTo(3);
    assertThat(
            ViolationScan.workersPlanned(
                "Aggregate\n  ->  Seq Scan on tiny c\n        SubPlan 1\n"))
        .isZero();
  }
}
