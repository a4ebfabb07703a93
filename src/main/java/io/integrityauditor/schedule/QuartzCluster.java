package io.integrityauditor.schedule;

import com.zaxxer.hikari.HikariDataSource;
import io.integrityauditor.config.DatabaseConfig;
import io.integrityauditor.config.SchedulerConfig;
import io.integrityauditor.store.Store;
import io.integrityauditor.targets.Pools;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.spi.JobFactory;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

/** Builds the clustered Quartz scheduler on the store database. */
public final class QuartzCluster {
  /** Every node of a deployment shares this name; it is also seeded in QRTZ_LOCKS (V2). */
  public static final String SCHEDULER_NAME = "integrity-auditor";

  public static final String GROUP = "audits";

  private QuartzCluster() {}

  /**
   * @param instanceId this node's id in the cluster (must be unique per running process)
   * @param threads worker threads; 0 for a client that only submits triggers
   */
  public static Scheduler create(
      DatabaseConfig store,
      SchedulerConfig settings,
      String instanceId,
      int threads,
      JobFactory jobs)
      throws SchedulerException {
    String dataSourceName = "integrity-auditor-" + instanceId;
    // Quartz gets a pool of its own: its check-ins and trigger updates never wait behind runs.
    HikariDataSource pool =
        Pools.create(
            "quartz",
            new DatabaseConfig(
                store.url(), store.user(), store.password(), threads + 3, store.connectTimeout()),
            false);
    DBConnectionManager.getInstance().addConnectionProvider(dataSourceName, new Provider(pool));
    // this node's own session, held for the life of the process (StoreClockJobStore): unpooled,
    // so that no pool ever retires it while it holds the node's lock
    String sessionName = dataSourceName + "-session";
    DBConnectionManager.getInstance().addConnectionProvider(sessionName, new Unpooled(store));

    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", SCHEDULER_NAME);
    p.setProperty("org.quartz.scheduler.instanceId", instanceId);
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    p.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
    p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
    p.setProperty("org.quartz.threadPool.threadCount", String.valueOf(Math.max(1, threads)));
    p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
    // Quartz's JDBC store and PostgreSQL delegate, with check-ins on the store's clock: a node
    // whose clock is off by seconds is still declared dead on time, and a live one is not.
    p.setProperty("org.quartz.jobStore.class", StoreClockJobStore.class.getName());
    p.setProperty("org.quartz.jobStore.driverDelegateClass", StoreClockDelegate.class.getName());
    p.setProperty("org.quartz.jobStore.dataSource", dataSourceName);
    p.setProperty("org.quartz.jobStore.nodeSessionDataSource", sessionName);
    p.setProperty("org.quartz.jobStore.tablePrefix", Store.SCHEMA + ".qrtz_");
    p.setProperty("org.quartz.jobStore.isClustered", "true");
    p.setProperty(
        "org.quartz.jobStore.clusterCheckinInterval",
        String.valueOf(settings.checkinInterval().toMillis()));
    // How soon Quartz tries its store again after a failure (its default is 15 s), for its
    // scheduler thread, check-ins and misfire handling alike. At 15 s every node stayed idle for up
    // to 15 s after a store restart, and the first node back found its peers' check-ins more than
    // check-in + 7.5 s old: it declared them dead and recovered the runs they were still running.
    p.setProperty(
        "org.quartz.scheduler.dbFailureRetryInterval",
        String.valueOf(settings.checkinInterval().toMillis()));
    // How long an idle scheduler thread sleeps before it looks at the store again. A trigger
    // written by another process (the trigger command, a peer's API call) cannot wake it: at
    // Quartz's default of 30 s a triggered run started 25 s later. At the check-in interval a node
    // looks as often as it checks in (one short locked read); Quartz refuses less than 1 s.
    p.setProperty(
        "org.quartz.scheduler.idleWaitTime",
        String.valueOf(Math.max(1000, settings.checkinInterval().toMillis())));
    // Take trigger rows under the lock so two nodes never acquire the same fire.
    p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
    // Take as many due triggers as there are free threads in one turn of the trigger lock (and
    // mark them fired in one more), not one per turn: with a queue of due runs (a fleet's first
    // runs) each run took two turns of the lock every node waits for, which bounded the cluster's
    // runs per second. A trigger is only taken when a thread is free to run it; Quartz requires
    // acquireTriggersWithinLock for this (above).
    p.setProperty(
        "org.quartz.scheduler.batchTriggerAcquisitionMaxCount",
        String.valueOf(Math.max(1, threads)));
    p.setProperty("org.quartz.jobStore.useProperties", "true");
    p.setProperty(
        "org.quartz.jobStore.misfireThreshold",
        String.valueOf(settings.misfireThreshold().toMillis()));
    StdSchedulerFactory factory = new StdSchedulerFactory(p);
    Scheduler scheduler = factory.getScheduler();
    scheduler.setJobFactory(jobs);
    return scheduler;
  }

  /** Opens a new store connection each time (this node's own session). */
  private record Unpooled(DatabaseConfig store) implements ConnectionProvider {
    @Override
    public Connection getConnection() throws SQLException {
      return Pools.connect(store);
    }

    @Override
    public void shutdown() {}

    @Override
    public void initialize() {}
  }

  /** Hands Quartz connections from our HikariCP pool. */
  private record Provider(HikariDataSource pool) implements ConnectionProvider {
    @Override
    public Connection getConnection() throws SQLException {
      return pool.getConnection();
    }

    @Override
    public void shutdown() {
      pool.close();
    }

    @Override
    public void initialize() {}
  }
}
