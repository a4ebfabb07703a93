package io.integrityauditor.schedule;

import io.integrityauditor.store.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.sql.DataSource;
import org.quartz.CronTrigger;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.JobDetail;
import org.quartz.PersistJobDataAfterExecution;
import org.quartz.SchedulerException;
import org.quartz.SimpleTrigger;
import org.quartz.Trigger;
import org.quartz.spi.OperableTrigger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates many new audit jobs at once, before the scheduler starts: the rows Quartz's JDBC store
 * would write ({@code StdJDBCDelegate}: job detail, trigger, cron, simple or spread cron trigger),
 * with batched statements in one transaction that holds Quartz's own {@code TRIGGER_ACCESS} lock.
 * Through the Quartz API a job costs about seven round trips to the store, so a thousand new audits
 * kept a node from starting for seconds. When anything is unusual (a job already exists, the group
 * is paused, another trigger type) it returns false and the caller uses the Quartz API.
 */
public final class QuartzBulkInsert {
  private static final Logger LOG = LoggerFactory.getLogger(QuartzBulkInsert.class);
  private static final String PREFIX = Store.SCHEMA + ".qrtz_";

  private QuartzBulkInsert() {}

  /**
   * @return true when every job and trigger was inserted; false when nothing was (use the API)
   */
  public static boolean insertNew(
      DataSource store, String schedulerName, Map<JobDetail, Set<? extends Trigger>> jobs) {
    if (jobs.isEmpty()) {
      return true;
    }
    for (Set<? extends Trigger> triggers : jobs.values()) {
      for (Trigger trigger : triggers) {
        if (!(trigger instanceof CronTrigger || trigger instanceof SimpleTrigger)
            || !(trigger instanceof OperableTrigger)
            || trigger.getCalendarName() != null) {
          return false;
        }
      }
    }
    try (Connection connection = store.getConnection()) {
      connection.setAutoCommit(false);
      try {
        boolean done = insert(connection, schedulerName, jobs);
        if (done) {
          connection.commit();
        } else {
          connection.rollback();
        }
        return done;
      } catch (SQLException | IOException | SchedulerException | RuntimeException e) {
        connection.rollback();
        LOG.debug("bulk insert of {} jobs failed, using the Quartz API: {}", jobs.size(), e);
        return false;
      }
    } catch (SQLException e) {
      LOG.debug("bulk insert of {} jobs failed, using the Quartz API: {}", jobs.size(), e);
      return false;
    }
  }

  /**
   * Takes the lock Quartz's {@code StdRowLockSemaphore} takes for every change of jobs and
   * triggers, until the connection's transaction ends.
   */
  static void lockTriggerAccess(Connection connection, String schedulerName) throws SQLException {
    try (PreparedStatement lock =
        connection.prepareStatement(
            "SELECT * FROM "
                + PREFIX
                + "locks WHERE sched_name = ? AND lock_name = ? FOR UPDATE")) {
      lock.setString(1, schedulerName);
      lock.setString(2, "TRIGGER_ACCESS");
      lock.executeQuery().close();
    }
  }

  private static boolean insert(
      Connection connection, String schedulerName, Map<JobDetail, Set<? extends Trigger>> jobs)
      throws SQLException, IOException, SchedulerException {
    lockTriggerAccess(connection, schedulerName);
    List<String> groups = new ArrayList<>();
    for (JobDetail job : jobs.keySet()) {
      if (!groups.contains(job.getKey().getGroup())) {
        groups.add(job.getKey().getGroup());
      }
    }
    List<String> triggerGroups = new ArrayList<>();
    for (Set<? extends Trigger> triggers : jobs.values()) {
      for (Trigger trigger : triggers) {
        if (!triggerGroups.contains(trigger.getKey().getGroup())) {
          triggerGroups.add(trigger.getKey().getGroup());
        }
      }
    }
    try (PreparedStatement existing =
        connection.prepareStatement(
            "SELECT job_name FROM "
                + PREFIX
                + "job_details WHERE sched_name = ? AND job_group = ANY (?)")) {
      existing.setString(1, schedulerName);
      existing.setArray(2, connection.createArrayOf("varchar", groups.toArray()));
      try (ResultSet rows = existing.executeQuery()) {
        Set<String> names = new HashSet<>();
        while (rows.next()) {
          names.add(rows.getString(1));
        }
        for (JobDetail job : jobs.keySet()) {
          if (names.contains(job.getKey().getName())) {
            return false; // a peer created it meanwhile: let Quartz replace it
          }
        }
      }
    }
    try (PreparedStatement paused =
        connection.prepareStatement(
            "SELECT count(*) FROM "
                + PREFIX
                + "paused_trigger_grps WHERE sched_name = ?"
                + " AND (trigger_group = ANY (?) OR trigger_group = '_$_ALL_GROUPS_PAUSED_$_')")) {
      paused.setString(1, schedulerName);
      paused.setArray(2, connection.createArrayOf("varchar", triggerGroups.toArray()));
      try (ResultSet rows = paused.executeQuery()) {
        rows.next();
        if (rows.getLong(1) > 0) {
          return false;
        }
      }
    }
    try (PreparedStatement jobInsert =
            connection.prepareStatement(
                "INSERT INTO "
                    + PREFIX
                    + "job_details (sched_name, job_name, job_group, description, job_class_name,"
                    + " is_durable, is_nonconcurrent, is_update_data, requests_recovery, job_data)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        PreparedStatement triggerInsert =
            connection.prepareStatement(
                "INSERT INTO "
                    + PREFIX
                    + "triggers (sched_name, trigger_name, trigger_group, job_name, job_group,"
                    + " description, next_fire_time, prev_fire_time, trigger_state, trigger_type,"
                    + " start_time, end_time, calendar_name, misfire_instr, job_data, priority)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        PreparedStatement cronInsert =
            connection.prepareStatement(
                "INSERT INTO "
                    + PREFIX
                    + "cron_triggers (sched_name, trigger_name, trigger_group, cron_expression,"
                    + " time_zone_id) VALUES (?, ?, ?, ?, ?)");
        PreparedStatement simpleInsert =
            connection.prepareStatement(
                "INSERT INTO "
                    + PREFIX
                    + "simple_triggers (sched_name, trigger_name, trigger_group, repeat_count,"
                    + " repeat_interval, times_triggered) VALUES (?, ?, ?, ?, ?, ?)");
        PreparedStatement spreadInsert =
            connection.prepareStatement(
                "INSERT INTO "
                    + PREFIX
                    + "simprop_triggers (sched_name, trigger_name, trigger_group, str_prop_1,"
                    + " str_prop_2, long_prop_1) VALUES (?, ?, ?, ?, ?, ?)")) {
      // audits on the same schedule carry the same job data: serialised once (Properties.store
      // per trigger was a tenth of a cold start with a thousand audits)
      Map<Map<String, Object>, byte[]> serialised = new HashMap<>();
      for (Map.Entry<JobDetail, Set<? extends Trigger>> entry : jobs.entrySet()) {
        JobDetail job = entry.getKey();
        jobInsert.setString(1, schedulerName);
        jobInsert.setString(2, job.getKey().getName());
        jobInsert.setString(3, job.getKey().getGroup());
        jobInsert.setString(4, job.getDescription());
        jobInsert.setString(5, job.getJobClass().getName());
        jobInsert.setBoolean(6, job.isDurable());
        jobInsert.setBoolean(
            7, job.getJobClass().isAnnotationPresent(DisallowConcurrentExecution.class));
        jobInsert.setBoolean(
            8, job.getJobClass().isAnnotationPresent(PersistJobDataAfterExecution.class));
        jobInsert.setBoolean(9, job.requestsRecovery());
        jobInsert.setBytes(10, properties(job.getJobDataMap().getWrappedMap(), serialised));
        jobInsert.addBatch();
        for (Trigger each : entry.getValue()) {
          OperableTrigger trigger = (OperableTrigger) each;
          // what QuartzScheduler.scheduleJob does before storing
          trigger.validate();
          if (trigger.computeFirstFireTime(null) == null) {
            return false;
          }
          addTrigger(
              schedulerName,
              trigger,
              serialised,
              triggerInsert,
              cronInsert,
              simpleInsert,
              spreadInsert);
        }
      }
      jobInsert.executeBatch();
      analyze(connection, "job_details");
      triggerInsert.executeBatch();
      analyze(connection, "triggers");
      cronInsert.executeBatch();
      simpleInsert.executeBatch();
      spreadInsert.executeBatch();
    }
    return true;
  }

  /**
   * Gathers statistics of a table just filled, in the transaction that fills it (ANALYZE counts the
   * transaction's own rows). Each row written next checks its foreign key into this table; while
   * the table has no statistics (a new store) the planner checks it through an index on
   * (sched_name, trigger_group, ...) and reads every row of the group instead of the primary key's
   * one: ten thousand new audits then cost a hundred million index reads, about two minutes. A
   * table of another owner is skipped with a warning, no error.
   */
  private static void analyze(Connection connection, String table) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      statement.execute("ANALYZE " + PREFIX + table);
    }
  }

  private static void addTrigger(
      String schedulerName,
      OperableTrigger trigger,
      Map<Map<String, Object>, byte[]> serialised,
      PreparedStatement triggerInsert,
      PreparedStatement cronInsert,
      PreparedStatement simpleInsert,
      PreparedStatement spreadInsert)
      throws SQLException, IOException {
    triggerInsert.setString(1, schedulerName);
    triggerInsert.setString(2, trigger.getKey().getName());
    triggerInsert.setString(3, trigger.getKey().getGroup());
    triggerInsert.setString(4, trigger.getJobKey().getName());
    triggerInsert.setString(5, trigger.getJobKey().getGroup());
    triggerInsert.setString(6, trigger.getDescription());
    triggerInsert.setLong(7, trigger.getNextFireTime().getTime());
    triggerInsert.setLong(
        8, trigger.getPreviousFireTime() == null ? -1 : trigger.getPreviousFireTime().getTime());
    triggerInsert.setString(9, "WAITING");
    triggerInsert.setString(
        10,
        trigger instanceof SpreadCronTrigger
            ? SpreadCronTriggerPersistence.TYPE
            : trigger instanceof CronTrigger ? "CRON" : "SIMPLE");
    triggerInsert.setLong(11, trigger.getStartTime().getTime());
    triggerInsert.setLong(12, trigger.getEndTime() == null ? 0 : trigger.getEndTime().getTime());
    triggerInsert.setString(13, null);
    triggerInsert.setInt(14, trigger.getMisfireInstruction());
    triggerInsert.setBytes(
        15,
        trigger.getJobDataMap().isEmpty()
            ? null
            : properties(trigger.getJobDataMap().getWrappedMap(), serialised));
    triggerInsert.setInt(16, trigger.getPriority());
    triggerInsert.addBatch();

    if (trigger instanceof SpreadCronTrigger spread) {
      var properties = SpreadCronTriggerPersistence.properties(spread);
      spreadInsert.setString(1, schedulerName);
      spreadInsert.setString(2, trigger.getKey().getName());
      spreadInsert.setString(3, trigger.getKey().getGroup());
      spreadInsert.setString(4, properties.getString1());
      spreadInsert.setString(5, properties.getString2());
      spreadInsert.setLong(6, properties.getLong1());
      spreadInsert.addBatch();
    } else if (trigger instanceof CronTrigger cron) {
      cronInsert.setString(1, schedulerName);
      cronInsert.setString(2, trigger.getKey().getName());
      cronInsert.setString(3, trigger.getKey().getGroup());
      cronInsert.setString(4, cron.getCronExpression());
      cronInsert.setString(5, cron.getTimeZone().getID());
      cronInsert.addBatch();
    } else {
      SimpleTrigger simple = (SimpleTrigger) trigger;
      simpleInsert.setString(1, schedulerName);
      simpleInsert.setString(2, trigger.getKey().getName());
      simpleInsert.setString(3, trigger.getKey().getGroup());
      simpleInsert.setLong(4, simple.getRepeatCount());
      simpleInsert.setLong(5, simple.getRepeatInterval());
      simpleInsert.setLong(6, simple.getTimesTriggered());
      simpleInsert.addBatch();
    }
  }

  /** Job data as Quartz stores it with {@code useProperties=true}: java.util.Properties text. */
  private static byte[] properties(
      Map<String, Object> data, Map<Map<String, Object>, byte[]> serialised) throws IOException {
    byte[] known = serialised.get(data);
    if (known == null) {
      known = properties(data);
      serialised.put(Map.copyOf(data), known);
    }
    return known;
  }

  private static byte[] properties(Map<String, ?> data) throws IOException {
    Properties properties = new Properties();
    for (Map.Entry<String, ?> entry : data.entrySet()) {
      if (!(entry.getValue() instanceof String value)) {
        throw new IOException("job data " + entry.getKey() + " is not a string");
      }
      properties.setProperty(entry.getKey(), value);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    properties.store(bytes, "");
    return bytes.toByteArray();
  }
}
