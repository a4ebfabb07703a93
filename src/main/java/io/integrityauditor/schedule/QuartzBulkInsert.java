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
    // one multi-row insert per table, its rows as column arrays: batched single-row inserts cost
    // the store a statement execution per row, 50,000 of them for 10,000 fleet audits
    Rows jobRows =
        new Rows(
            "job_details",
            "sched_name varchar",
            "job_name varchar",
            "job_group varchar",
            "description varchar",
            "job_class_name varchar",
            "is_durable bool",
            "is_nonconcurrent bool",
            "is_update_data bool",
            "requests_recovery bool",
            "job_data bytea");
    TriggerRows triggerRows = new TriggerRows();
    // audits on the same schedule carry the same job data: serialised once (Properties.store per
    // trigger was a tenth of a cold start with a thousand audits)
    Map<Map<String, Object>, byte[]> serialised = new HashMap<>();
    for (Map.Entry<JobDetail, Set<? extends Trigger>> entry : jobs.entrySet()) {
      JobDetail job = entry.getKey();
      jobRows.add(
          schedulerName,
          job.getKey().getName(),
          job.getKey().getGroup(),
          job.getDescription(),
          job.getJobClass().getName(),
          job.isDurable(),
          job.getJobClass().isAnnotationPresent(DisallowConcurrentExecution.class),
          job.getJobClass().isAnnotationPresent(PersistJobDataAfterExecution.class),
          job.requestsRecovery(),
          properties(job.getJobDataMap().getWrappedMap(), serialised));
      for (Trigger each : entry.getValue()) {
        OperableTrigger trigger = (OperableTrigger) each;
        // what QuartzScheduler.scheduleJob does before storing
        trigger.validate();
        if (trigger.computeFirstFireTime(null) == null) {
          return false;
        }
        triggerRows.add(schedulerName, trigger, serialised);
      }
    }
    jobRows.insert(connection);
    analyze(connection, "job_details");
    triggerRows.triggers.insert(connection);
    analyze(connection, "triggers");
    triggerRows.cron.insert(connection);
    triggerRows.simple.insert(connection);
    triggerRows.spread.insert(connection);
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

  /**
   * The rows of Quartz's trigger table and of its detail tables (cron, simple, and the spread cron
   * trigger's simprop row), every column as {@code StdJDBCDelegate} and the simple-properties
   * persistence write it ({@code QuartzBulkInsertTest} compares them).
   */
  private static final class TriggerRows {
    final Rows triggers =
        new Rows(
            "triggers",
            "sched_name varchar",
            "trigger_name varchar",
            "trigger_group varchar",
            "job_name varchar",
            "job_group varchar",
            "description varchar",
            "next_fire_time int8",
            "prev_fire_time int8",
            "trigger_state varchar",
            "trigger_type varchar",
            "start_time int8",
            "end_time int8",
            "calendar_name varchar",
            "misfire_instr int2",
            "job_data bytea",
            "priority int4");
    final Rows cron =
        new Rows(
            "cron_triggers",
            "sched_name varchar",
            "trigger_name varchar",
            "trigger_group varchar",
            "cron_expression varchar",
            "time_zone_id varchar");
    final Rows simple =
        new Rows(
            "simple_triggers",
            "sched_name varchar",
            "trigger_name varchar",
            "trigger_group varchar",
            "repeat_count int8",
            "repeat_interval int8",
            "times_triggered int8");
    final Rows spread =
        new Rows(
            "simprop_triggers",
            "sched_name varchar",
            "trigger_name varchar",
            "trigger_group varchar",
            "str_prop_1 varchar",
            "str_prop_2 varchar",
            "str_prop_3 varchar",
            "int_prop_1 int4",
            "int_prop_2 int4",
            "long_prop_1 int8",
            "long_prop_2 int8",
            "dec_prop_1 numeric",
            "dec_prop_2 numeric",
            "bool_prop_1 bool",
            "bool_prop_2 bool");

    void add(
        String schedulerName, OperableTrigger trigger, Map<Map<String, Object>, byte[]> serialised)
        throws IOException {
      String name = trigger.getKey().getName();
      String group = trigger.getKey().getGroup();
      triggers.add(
          schedulerName,
          name,
          group,
          trigger.getJobKey().getName(),
          trigger.getJobKey().getGroup(),
          trigger.getDescription(),
          trigger.getNextFireTime().getTime(),
          trigger.getPreviousFireTime() == null ? -1L : trigger.getPreviousFireTime().getTime(),
          "WAITING",
          trigger instanceof SpreadCronTrigger
              ? SpreadCronTriggerPersistence.TYPE
              : trigger instanceof CronTrigger ? "CRON" : "SIMPLE",
          trigger.getStartTime().getTime(),
          trigger.getEndTime() == null ? 0L : trigger.getEndTime().getTime(),
          null,
          (short) trigger.getMisfireInstruction(),
          // no job data is no bytes, as StdJDBCDelegate.setBytes writes it, not NULL
          trigger.getJobDataMap().isEmpty()
              ? new byte[0]
              : properties(trigger.getJobDataMap().getWrappedMap(), serialised),
          trigger.getPriority());
      if (trigger instanceof SpreadCronTrigger each) {
        var properties = SpreadCronTriggerPersistence.properties(each);
        spread.add(
            schedulerName,
            name,
            group,
            properties.getString1(),
            properties.getString2(),
            properties.getString3(),
            properties.getInt1(),
            properties.getInt2(),
            properties.getLong1(),
            properties.getLong2(),
            properties.getDecimal1(),
            properties.getDecimal2(),
            properties.isBoolean1(),
            properties.isBoolean2());
      } else if (trigger instanceof CronTrigger each) {
        cron.add(schedulerName, name, group, each.getCronExpression(), each.getTimeZone().getID());
      } else {
        SimpleTrigger each = (SimpleTrigger) trigger;
        simple.add(
            schedulerName,
            name,
            group,
            (long) each.getRepeatCount(),
            each.getRepeatInterval(),
            (long) each.getTimesTriggered());
      }
    }
  }

  /**
   * Rows of one table, kept column by column and written with one {@code INSERT ... SELECT * FROM
   * unnest(column arrays)}.
   */
  private static final class Rows {
    private final String table;
    private final List<String> names = new ArrayList<>();
    private final List<String> types = new ArrayList<>();
    private final List<List<Object>> columns = new ArrayList<>();

    /**
     * @param columns each column's name and its type in the store, e.g. {@code "job_name varchar"}
     */
    Rows(String table, String... columns) {
      this.table = table;
      for (String column : columns) {
        String[] nameAndType = column.split(" ");
        names.add(nameAndType[0]);
        types.add(nameAndType[1]);
        this.columns.add(new ArrayList<>());
      }
    }

    void add(Object... row) {
      for (int i = 0; i < row.length; i++) {
        columns.get(i).add(row[i]);
      }
    }

    void insert(Connection connection) throws SQLException {
      if (columns.get(0).isEmpty()) {
        return;
      }
      StringBuilder sql =
          new StringBuilder("INSERT INTO ")
              .append(PREFIX)
              .append(table)
              .append(" (")
              .append(String.join(", ", names))
              .append(") SELECT * FROM unnest(");
      for (int i = 0; i < types.size(); i++) {
        sql.append(i == 0 ? "" : ", ").append("?::").append(types.get(i)).append("[]");
      }
      try (PreparedStatement insert = connection.prepareStatement(sql.append(")").toString())) {
        for (int i = 0; i < types.size(); i++) {
          List<Object> values = columns.get(i);
          Object[] array =
              types.get(i).equals("bytea")
                  ? values.toArray(new byte[0][])
                  : values.toArray(new Object[0]);
          insert.setArray(i + 1, connection.createArrayOf(types.get(i), array));
        }
        insert.executeUpdate();
      }
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
