package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's first start writes every audit's job and triggers in one transaction, each trigger row
 * checking its foreign key into the jobs and each trigger detail row its key into the triggers.
 * Without statistics of those tables (a new store) PostgreSQL checked each key through an index
 * that holds every row of the group: 10,000 fleet audits took two minutes to write instead of
 * seconds. The write gathers the statistics as it goes.
 */
class BulkJobsStatisticsTest {
  @TempDir Path dir;

  @Test
  void the_first_write_of_many_jobs_leaves_the_store_with_statistics_of_them() throws Exception {
    TestPostgres.Database store = TestPostgres.newDatabase("bulk_jobs_store");
    try (SchedulerOnStore node = SchedulerOnStore.open(dir, store)) {
      assertThat(node.scheduler().reconcile(TenantAudits.weekly(300), true).added()).hasSize(300);
    }
    // every job, and its spread trigger and first run, counted by the planner's statistics
    assertThat(reltuples(store, "qrtz_job_details")).isEqualTo(300);
    assertThat(reltuples(store, "qrtz_triggers")).isEqualTo(600);
    assertThat(
            store.queryLong(
                "SELECT count(*) FROM integrity_auditor.qrtz_triggers"
                    + " WHERE trigger_group = '"
                    + QuartzCluster.GROUP
                    + "'"))
        .isEqualTo(300);
  }

  private static long reltuples(TestPostgres.Database store, String table) {
    return store.queryLong(
        "SELECT reltuples::bigint FROM pg_class WHERE oid = 'integrity_auditor."
            + table
            + "'::regclass");
  }
}
