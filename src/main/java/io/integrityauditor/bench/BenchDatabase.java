package io.integrityauditor.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The benchmark's embedded PostgreSQL and its reference dataset. Server settings suit a 10M-row
 * dataset on a small machine: data cached in shared buffers, enough work_mem that the parent's hash
 * table fits in memory, and loading without durability (fsync off, minimal WAL: the tables are
 * created and filled in one statement, so PostgreSQL skips their WAL).
 */
final class BenchDatabase implements AutoCloseable {
  static final String TARGET = "bench";
  static final String STORE = "bench_store";

  /** (b) the orphan count a DBA writes by hand: a hash anti-join. */
  static final String ANTI_JOIN =
      "SELECT count(*) FROM workflow_instances c WHERE c.config_version_id IS NOT NULL"
          + " AND NOT EXISTS (SELECT 1 FROM config_versions p WHERE p.id = c.config_version_id)";

  /** (c) what dbt's relationships test generates: LEFT JOIN ... IS NULL. */
  static final String LEFT_JOIN =
      "SELECT count(*) FROM workflow_instances c LEFT JOIN config_versions p"
          + " ON p.id = c.config_version_id"
          + " WHERE c.config_version_id IS NOT NULL AND p.id IS NULL";

  static final String ANTI_JOIN_VARIANT =
      ANTI_JOIN.replace("workflow_instances", "workflow_instances_variant");

  private final EmbeddedPostgres postgres;
  private final Map<String, String> settings;
  private long nextId;

  private BenchDatabase(EmbeddedPostgres postgres, Map<String, String> settings) {
    this.postgres = postgres;
    this.settings = settings;
  }

  /**
   * @param overrides settings given on the command line, applied over the benchmark's own
   */
  static BenchDatabase start(Path dataDirectory, Map<String, String> overrides, PrintStream out)
      throws IOException {
    return start(dataDirectory, overrides, out, 0);
  }

  /**
   * @param port the server's port; 0 for any free one
   */
  static BenchDatabase start(
      Path dataDirectory, Map<String, String> overrides, PrintStream out, int port)
      throws IOException {
    long memoryMb = BenchMachine.memoryBytes() / (1024 * 1024);
    Map<String, String> settings = new LinkedHashMap<>();
    // the data (about 1.3 GB at 10M rows) stays in shared buffers when the machine has room
    settings.put("shared_buffers", memoryMb >= 8192 ? "2GB" : memoryMb >= 4096 ? "1GB" : "256MB");
    settings.put("effective_cache_size", Math.max(512, memoryMb / 2) + "MB");
    // the parent's hash table (55 MB at 1M keys) fits in one batch
    settings.put("work_mem", "64MB");
    settings.put("maintenance_work_mem", "512MB");
    settings.put("max_wal_size", "8GB");
    settings.put("checkpoint_timeout", "30min");
    settings.put("wal_level", "minimal");
    settings.put("max_wal_senders", "0");
    settings.put("fsync", "off");
    settings.put("synchronous_commit", "off");
    settings.put("full_page_writes", "off");
    settings.put("random_page_cost", "1.1");
    settings.put("max_connections", "200");
    settings.putAll(overrides);
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDirectory)
            .setCleanDataDirectory(true)
            .setPGStartupWait(Duration.ofSeconds(60));
    settings.forEach(builder::setServerConfig);
    if (port > 0) {
      builder.setPort(port);
    }
    out.println("Starting an embedded PostgreSQL in " + dataDirectory + " ...");
    EmbeddedPostgres postgres = builder.start();
    BenchDatabase database = new BenchDatabase(postgres, settings);
    try (Connection connection = postgres.getPostgresDatabase().getConnection();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + TARGET);
      statement.execute("CREATE DATABASE " + STORE);
    } catch (SQLException e) {
      postgres.close();
      throw new IOException("cannot create the benchmark databases: " + e.getMessage(), e);
    }
    return database;
  }

  String url(String database) {
    return "jdbc:postgresql://localhost:" + postgres.getPort() + "/" + database;
  }

  Connection connect() throws SQLException {
    return postgres.getDatabase("postgres", TARGET).getConnection();
  }

  Connection connectStore() throws SQLException {
    return postgres.getDatabase("postgres", STORE).getConnection();
  }

  /** Version, the settings above as the server reports them, and parallelism and JIT. */
  Map<String, String> describe() throws IOException {
    Map<String, String> description = new LinkedHashMap<>();
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      try (ResultSet rows = statement.executeQuery("SELECT version()")) {
        rows.next();
        description.put("version", rows.getString(1));
      }
      List<String> names = new ArrayList<>(settings.keySet());
      names.addAll(
          List.of(
              "max_worker_processes",
              "max_parallel_workers",
              "max_parallel_workers_per_gather",
              "hash_mem_multiplier",
              "jit"));
      for (String name : names) {
        try (ResultSet rows = statement.executeQuery("SELECT current_setting('" + name + "')")) {
          rows.next();
          description.put(name, rows.getString(1));
        }
      }
    } catch (SQLException e) {
      throw new IOException(e.getMessage(), e);
    }
    return description;
  }

  /**
   * The reference dataset: {@code config_versions} (text primary key) and {@code
   * workflow_instances} (text {@code config_version_id}, no index on it, no foreign key) with every
   * {@code 1/orphans}-th row an orphan; and the same child with another share of orphans. Loaded
   * with generate_series in one statement per table, keys created after, then VACUUM (FREEZE,
   * ANALYZE) so that statistics and the visibility map are ready.
   */
  void load(long rows, long parents, double orphans, double variantOrphans, PrintStream out)
      throws Exception {
    out.printf("Loading %,d parents and %,d child rows ...%n", parents, rows);
    loadParents(parents);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> main = pool.submit(() -> child("workflow_instances", rows, parents, orphans));
      Future<?> variant =
          variantOrphans > 0
              ? pool.submit(
                  () -> child("workflow_instances_variant", rows, parents, variantOrphans))
              : null;
      main.get();
      if (variant != null) {
        variant.get();
      }
    } finally {
      pool.shutdown();
    }
    nextId = rows;
    out.println("Analysing ...");
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute("VACUUM (FREEZE, ANALYZE) config_versions");
      statement.execute("VACUUM (FREEZE, ANALYZE) workflow_instances");
      if (variantOrphans > 0) {
        statement.execute("VACUUM (FREEZE, ANALYZE) workflow_instances_variant");
      }
    }
  }

  /**
   * Only the parent table {@code config_versions}, as {@link #load} creates it (the same keys): the
   * parent's database of the cross-database scenario.
   */
  void loadParents(long parents) throws SQLException {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute(
          """
          CREATE TABLE config_versions AS
          SELECT 'cv-' || lpad(i::text, 10, '0') AS id,
                 md5((i %% 5000)::text)::uuid AS workspace_id,
                 CASE WHEN i %% 10 = 0 THEN 'DRAFT' WHEN i %% 10 = 1 THEN 'ACTIVE'
                      ELSE 'ARCHIVED' END AS status,
                 timestamptz '2024-01-01' + i * interval '1 second' AS created_at
          FROM generate_series(1::bigint, %d::bigint) i
          """
              .formatted(parents));
      statement.execute("ALTER TABLE config_versions ADD PRIMARY KEY (id)");
    }
  }

  /** Analyses the parent table after {@link #loadParents} alone. */
  void analyseParents() throws SQLException {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute("VACUUM (FREEZE, ANALYZE) config_versions");
    }
  }

  private Void child(String table, long rows, long parents, double orphans) throws SQLException {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE "
              + table
              + " AS SELECT i AS id, "
              + reference("i", parents, orphans)
              + " AS config_version_id,"
              + " md5((i % 5000)::text)::uuid AS workspace_id,"
              + " CASE WHEN i % 3 = 0 THEN 'DONE' ELSE 'RUNNING' END AS status,"
              + " timestamptz '2024-01-01' + i * interval '100 ms' AS created_at"
              + " FROM generate_series(1::bigint, "
              + rows
              + "::bigint) i");
      statement.execute("ALTER TABLE " + table + " ADD PRIMARY KEY (id)");
    }
    return null;
  }

  /** Every {@code 1/orphans}-th row references a missing parent; the others a spread of parents. */
  private static String reference(String i, long parents, double orphans) {
    long every = Math.max(1, Math.round(1 / orphans));
    return "CASE WHEN "
        + i
        + " % "
        + every
        + " = 0 THEN 'cv-missing-' || "
        + i
        + " ELSE 'cv-' || lpad((1 + ("
        + i
        + " * 7919) % "
        + parents
        + ")::text, 10, '0') END";
  }

  static long orphanCount(long rows, double orphans) {
    if (orphans <= 0) {
      return 0;
    }
    return rows / Math.max(1, Math.round(1 / orphans));
  }

  /** Appends rows past the current highest id, with the same share of orphans; returns orphans. */
  long append(long count, double orphans) throws SQLException {
    long from = nextId + 1;
    long to = nextId + count;
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      long parents = BenchCommand.count(connection, "SELECT count(*) FROM config_versions");
      statement.execute(
          "INSERT INTO workflow_instances (id, config_version_id, workspace_id, status,"
              + " created_at) SELECT i, "
              + reference("i", parents, orphans)
              + ", md5((i % 5000)::text)::uuid, 'RUNNING', now()"
              + " FROM generate_series("
              + from
              + "::bigint, "
              + to
              + "::bigint) i");
    }
    nextId = to;
    long every = Math.max(1, Math.round(1 / orphans));
    return to / every - (from - 1) / every;
  }

  /** Runs a query, returns its wall time in seconds. */
  double time(String sql) throws SQLException {
    try (Connection connection = connect();
        Statement statement = connection.createStatement()) {
      long start = System.nanoTime();
      try (ResultSet rows = statement.executeQuery(sql)) {
        while (rows.next()) {
          // consume
        }
      }
      return (System.nanoTime() - start) / 1e9;
    }
  }

  /** The longest chunk statement of the latest chunked run in the store, in ms. */
  long longestChunkMillis() throws SQLException {
    try (Connection connection = connectStore()) {
      return BenchCommand.count(
          connection,
          "SELECT coalesce(max(duration_ms), 0) FROM integrity_auditor.audit_chunk"
              + " WHERE run_id = (SELECT max(run_id) FROM integrity_auditor.audit_chunk_plan)");
    }
  }

  /**
   * The statements of the latest chunked run in the store, in order: rows checked, milliseconds,
   * and the gap since the previous one ended (the worker's time between statements: the claim, the
   * result, the next statement's transaction), e.g. {@code 5,004,331 rows 1912 ms; +3 ms 5,095,669
   * rows 1987 ms}.
   */
  String chunkStatements() throws SQLException {
    StringBuilder text = new StringBuilder();
    try (Connection connection = connectStore();
        Statement statement = connection.createStatement();
        ResultSet rows =
            statement.executeQuery(
                "SELECT sum(rows_checked), max(duration_ms),"
                    + " extract(epoch FROM min(started_at) - lag(min(started_at)"
                    + " + make_interval(secs => max(duration_ms) / 1000.0)) OVER (ORDER BY"
                    + " statement)) * 1000 FROM integrity_auditor.audit_chunk WHERE run_id ="
                    + " (SELECT max(run_id) FROM integrity_auditor.audit_chunk_plan)"
                    + " GROUP BY statement ORDER BY statement")) {
      while (rows.next()) {
        if (text.length() > 0) {
          text.append("; +").append(Math.round(rows.getDouble(3))).append(" ms ");
        }
        text.append(String.format(Locale.ROOT, "%,d rows %d ms", rows.getLong(1), rows.getLong(2)));
      }
    }
    return text.toString();
  }

  int port() {
    return postgres.getPort();
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
