package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quartz.CronScheduleBuilder;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;

/**
 * A first start writes its new jobs with one multi-row insert per Quartz table instead of the
 * Quartz API: the rows must be exactly those Quartz's own {@code scheduleJobs} writes, for every
 * kind of trigger an audit gets (spread cron, plain cron, interval, first run).
 */
class QuartzBulkInsertTest {
  @TempDir Path dir;

  private static final Date START = Date.from(Instant.parse("2031-03-04T05:06:07Z"));

  /** Every row of Quartz's job and trigger tables; job data without its "#date" comment line. */
  private static final List<String> TABLES =
      List.of(
          "SELECT sched_name, job_name, job_group, description, job_class_name, is_durable,"
              + " is_nonconcurrent, is_update_data, requests_recovery,"
              + " regexp_replace(convert_from(job_data, 'UTF8'), '^#.*$', '', 'gn')"
              + " FROM integrity_auditor.qrtz_job_details t",
          "SELECT sched_name, trigger_name, trigger_group, job_name, job_group, description,"
              + " next_fire_time, prev_fire_time, priority, trigger_state, trigger_type, start_time,"
              + " end_time, calendar_name, misfire_instr,"
              + " regexp_replace(convert_from(job_data, 'UTF8'), '^#.*$', '', 'gn')"
              + " FROM integrity_auditor.qrtz_triggers t",
          "SELECT * FROM integrity_auditor.qrtz_cron_triggers t",
          "SELECT * FROM integrity_auditor.qrtz_simple_triggers t",
          "SELECT * FROM integrity_auditor.qrtz_simprop_triggers t");

  @Test
  void jobs_written_in_bulk_are_the_rows_quartz_writes_for_them() throws Exception {
    TestPostgres.Database bulk = TestPostgres.newDatabase("bulk_rows");
    TestPostgres.Database api = TestPostgres.newDatabase("api_rows");
    for (TestPostgres.Database store : List.of(bulk, api)) {
      // migrated by a node's scheduler, which is closed again: Quartz holds one scheduler of a
      // name per JVM, and the writer below takes the cluster's name
      SchedulerOnStore.open(dir.resolve(store.name()), store).close();
    }

    assertThat(QuartzBulkInsert.insertNew(bulk.dataSource(), QuartzCluster.SCHEDULER_NAME, jobs()))
        .isTrue();
    Scheduler quartz = quartzOn(api);
    try {
      quartz.scheduleJobs(jobs(), true);
    } finally {
      quartz.shutdown(false);
    }

    List<String> written = rows(bulk);
    assertThat(written).hasSize(5 + 3 + 4 + 1 + 2 + 1); // the 5 queries, then each table's rows
    assertThat(written).isEqualTo(rows(api));
  }

  /**
   * A spread cron audit of a tenant and its first run, a plain cron audit with job data, an
   * interval audit: new objects on every call, all built from the same fixed moments.
   */
  private static Map<JobDetail, Set<? extends Trigger>> jobs() {
    Map<JobDetail, Set<? extends Trigger>> jobs = new LinkedHashMap<>();
    JobDetail tenant = job("orders.customer@t_1", "orders of 'tenant' t_1");
    jobs.put(
        tenant,
        Set.of(
            TriggerBuilder.newTrigger()
                .withIdentity(tenant.getKey().getName(), QuartzCluster.GROUP)
                .forJob(tenant)
                .startAt(START)
                .usingJobData(QuartzTriggers.DEFINITION, "0 0 0 ? * SUN UTC spread checking ab12")
                .withSchedule(
                    SpreadCronTrigger.schedule(
                        "0 0 0 ? * SUN", TimeZone.getTimeZone("UTC"), 123_456))
                .build(),
            TriggerBuilder.newTrigger()
                .withIdentity(tenant.getKey().getName(), FirstRun.GROUP)
                .forJob(tenant)
                .startAt(START)
                .withSchedule(
                    SimpleScheduleBuilder.simpleSchedule()
                        .withMisfireHandlingInstructionIgnoreMisfires())
                .build()));
    JobDetail cron = job("invoices.order", null);
    jobs.put(
        cron,
        Set.of(
            TriggerBuilder.newTrigger()
                .withIdentity(cron.getKey().getName(), QuartzCluster.GROUP)
                .forJob(cron)
                .startAt(START)
                .usingJobData(QuartzTriggers.DEFINITION, "0 15 3 * * ? Europe/Berlin checking")
                .usingJobData("note", "a \\ backslash, = equals, : colon, é, \"quote\"")
                .withSchedule(
                    CronScheduleBuilder.cronSchedule("0 15 3 * * ?")
                        .inTimeZone(TimeZone.getTimeZone("Europe/Berlin"))
                        .withMisfireHandlingInstructionFireAndProceed())
                .build()));
    JobDetail interval = job("payments.invoice", "every ten minutes");
    jobs.put(
        interval,
        Set.of(
            TriggerBuilder.newTrigger()
                .withIdentity(interval.getKey().getName(), QuartzCluster.GROUP)
                .forJob(interval)
                .startAt(START)
                .usingJobData(QuartzTriggers.DEFINITION, "every 600000ms checking cd34")
                .withSchedule(
                    SimpleScheduleBuilder.simpleSchedule()
                        .withIntervalInMilliseconds(600_000)
                        .repeatForever()
                        .withMisfireHandlingInstructionNowWithExistingCount())
                .build()));
    return jobs;
  }

  private static JobDetail job(String id, String description) {
    return JobBuilder.newJob(AuditJob.class)
        .withIdentity(id, QuartzCluster.GROUP)
        .withDescription(description)
        .storeDurably()
        .requestRecovery()
        .build();
  }

  private Scheduler quartzOn(TestPostgres.Database store) throws SchedulerException {
    Workspace workspace = new Workspace(dir.resolve("writer"));
    workspace.write("audits/none.yaml", "audits: []\n");
    WorkerConfig config =
        workspace.load(workspace.config(TestPostgres.newDatabase("bulk_target"), store, ""));
    return QuartzCluster.create(
        config.store().orElseThrow(),
        config.scheduler(),
        "writer",
        1,
        (bundle, scheduler) -> {
          throw new SchedulerException("never runs jobs");
        });
  }

  /** Each table's query, then its rows as text, sorted. */
  private static List<String> rows(TestPostgres.Database store) {
    return TABLES.stream()
        .flatMap(
            query ->
                Stream.concat(
                    Stream.of(query),
                    store.query("SELECT q::text AS row FROM (" + query + ") q ORDER BY 1").stream()
                        .map(row -> (String) row.get("row"))))
        .toList();
  }
}
