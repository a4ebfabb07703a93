package io.integrityauditor.bench;

import io.integrityauditor.ExitCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code bench --scenario fleet} (issue 18 point 5): a schema per tenant, N tenants on one embedded
 * PostgreSQL, A audits on the template, a cluster of two {@code serve} processes (the store on a
 * second embedded server, as a fleet's store would be elsewhere), and one full cycle of N × A runs.
 * Measures each node's start until ready, the cycle's duration, the most connections the nodes held
 * on the tenants' server (sampled from {@code pg_stat_activity} throughout the cycle, per node:
 * each node logs in as a role of its own), {@code GET /metrics} latency, each node's peak heap
 * (from its GC log), and the same counts as one multi-tenant query per audit (a {@code UNION ALL}
 * over the tenants' schemas). Exit 1 when an invariant fails: the nodes together over the server's
 * budget (it holds across the cluster), a run that did not complete, a count other than the data
 * holds.
 */
final class FleetBench {
  private FleetBench() {}

  static final int NODES = 2;

  /** Child tables per tenant; audit {@code j} checks {@code c(j % CHILDREN)}. */
  private static final int CHILDREN = 5;

  private static final int ROWS = 100;
  private static final long HEAP_LIMIT_MB = 512;

  /**
   * The sizes of one run.
   *
   * @param cycleLimit the longest wait for the full cycle
   */
  record Scale(int tenants, int audits, int budget, int scrapes, int port, Duration cycleLimit) {
    long runs() {
      return (long) tenants * audits;
    }
  }

  /**
   * The violations tenant {@code t} holds for audit {@code j}: 0 to 3 orphans, all combinations.
   */
  static long expected(int tenant, int audit) {
    return (tenant + audit % CHILDREN) % 4;
  }

  static String schema(int tenant) {
    return String.format(Locale.ROOT, "t_%05d", tenant);
  }

  /**
   * {@code --cds}: whether the nodes start with a class-data-sharing archive. Spelled as on the
   * command line.
   */
  enum Cds {
    /** No archive: the nodes start as a plain {@code java -jar} does. */
    off,
    /** An archive written by a start of its own, or none when the JVM cannot write or map one. */
    auto
  }

  /**
   * What the nodes start with.
   *
   * @param archive the archive both nodes map; empty when they start without one
   * @param account one line for the report: which, and why
   */
  record Sharing(Optional<Path> archive, String account) {
    String label() {
      return archive.isPresent() ? "with the CDS archive" : "without a CDS archive";
    }
  }

  /**
   * @param jvmOptions options of every serve process it starts (after its own), e.g. {@code
   *     -Xshare:off}
   */
  static int run(
      Path work,
      Scale scale,
      Cds cds,
      List<String> jvmOptions,
      Map<String, String> settings,
      PrintStream out)
      throws Exception {
    out.printf(
        "Fleet benchmark: %,d tenant schemas x %d audits = %,d runs, %d nodes, connection budget"
            + " %d per server, shared by the nodes; load average %s%n",
        scale.tenants(),
        scale.audits(),
        scale.runs(),
        NODES,
        scale.budget(),
        BenchMachine.loadAverage());
    int port = scale.port();
    try (BenchDatabase tenants =
            BenchDatabase.start(work.resolve("pgdata-tenants"), settings, out, port);
        BenchDatabase store =
            BenchDatabase.start(
                work.resolve("pgdata-store"), settings, out, port > 0 ? port + 1 : 0)) {
      long loadStart = System.nanoTime();
      createTenants(tenants, scale.tenants());
      out.printf("  %,d tenant schemas created in %.1f s%n", scale.tenants(), since(loadStart));
      boolean consistent = true;

      // the same work as one multi-tenant query per audit
      Baseline baseline = baseline(tenants, scale);
      consistent &= baseline.consistent();
      out.printf(
          "  one multi-tenant query per audit: %d queries in %.2f s%s%n",
          scale.audits(), baseline.seconds(), baseline.consistent() ? "" : " INCONSISTENT");

      Path dir = Files.createDirectories(work.resolve("fleet"));
      writeAudits(dir, scale.audits());
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      Sharing sharing =
          cds == Cds.off
              ? new Sharing(
                  Optional.empty(),
                  "none (--cds off): both nodes start as a plain `java -jar` does, the JDK's own"
                      + " archive of its classes only")
              : classDataArchive(dir, tenants, store, scale, jvmOptions, client);
      out.printf("  class-data-sharing archive: %s%n", sharing.account());
      List<Node> nodes = new ArrayList<>();
      try (Sampler sampler = Sampler.start(tenants)) {
        for (int n = 1; n <= NODES; n++) {
          int http = port > 0 ? port + 1 + n : BenchServe.freePort();
          Path config =
              writeConfig(
                  dir,
                  "node-" + n,
                  role(n),
                  tenants,
                  store.url(BenchDatabase.STORE),
                  "t_*",
                  scale,
                  http,
                  "0s");
          Path gcLog = dir.resolve("gc-node-" + n + ".log");
          List<String> jvm = new ArrayList<>();
          jvm.add("-Xmx" + HEAP_LIMIT_MB + "m");
          jvm.add("-Xlog:gc:file=" + gcLog);
          sharing.archive().ifPresent(a -> jvm.add("-XX:SharedArchiveFile=" + a));
          jvm.addAll(jvmOptions);
          BenchServe.Started started =
              BenchServe.start(config, dir.resolve("serve-node-" + n + ".log"), jvm);
          Node node = new Node(n, http, started, gcLog);
          nodes.add(node);
          // one after the other, as a rolling deployment starts them: the first writes the jobs
          // and their first runs, the second finds them written and joins the cycle running
          // binding thousands of members takes a while: measured, not cut off at 2 minutes
          node.readySeconds = BenchServe.waitReady(client, http, started, Duration.ofMinutes(10));
          node.sharing = nodeSharing(sharing, dir.resolve("serve-node-" + n + ".log"));
          out.printf("  node %d ready after %.2f s, %s%n", n, node.readySeconds, node.sharing);
          startUpLine(dir.resolve("serve-node-" + n + ".log"))
              .ifPresent(line -> out.printf("    %s%n", line));
        }
        Cycle cycle = waitForCycle(store, scale, nodes, out);
        Map<String, Integer> peaks = sampler.stop();
        consistent &= cycle.consistent();
        String metrics = "http://localhost:" + nodes.get(0).http + "/metrics";
        String body = BenchServe.get(client, metrics);
        long series = body.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).count();
        List<Double> scrapes = BenchServe.scrapes(client, metrics, scale.scrapes());
        for (Node node : nodes) {
          BenchServe.stop(node.started);
          node.peakHeapMb = peakHeapMb(node.gcLog);
        }
        int total = peaks.getOrDefault("total", 0);
        if (total > scale.budget()) {
          out.printf(
              "OVER BUDGET: the nodes held %d connections together, the server's budget is %d%n",
              total, scale.budget());
          consistent = false;
        }
        for (Node node : nodes) {
          if (node.peakHeapMb > HEAP_LIMIT_MB) {
            consistent = false;
          }
        }
        out.println();
        out.println("| measurement | figure | target |");
        out.println("|---|---|---|");
        for (Node node : nodes) {
          out.printf(
              Locale.ROOT,
              "| node %d: serve ready (process start to /health/ready, %,d audits, %s) | %.2f s |"
                  + " <= 10 s %s |%n",
              node.number,
              scale.runs(),
              node.sharing,
              node.readySeconds,
              verdict(node.readySeconds <= 10));
        }
        out.printf(
            Locale.ROOT,
            "| full cycle: %,d runs (first run to last result, %s) | %.1f s |"
                + " completes: %s |%n",
            scale.runs(),
            cycle.byNode(),
            cycle.seconds(),
            cycle.consistent() ? "yes, every count exact" : "NO");
        out.printf(
            Locale.ROOT,
            "| the same counts as one multi-tenant query per audit (%d UNION ALL queries over %,d"
                + " schemas) | %.2f s | cycle / queries = %.1f |%n",
            scale.audits(),
            scale.tenants(),
            baseline.seconds(),
            cycle.seconds() / baseline.seconds());
        for (Node node : nodes) {
          out.printf(
              Locale.ROOT,
              "| node %d: most connections open on the tenants' server (%,d samples) | %d |"
                  + " <= %d (the server's budget) %s |%n",
              node.number,
              sampler.samples(),
              peaks.getOrDefault(role(node.number), 0),
              scale.budget(),
              verdict(peaks.getOrDefault(role(node.number), 0) <= scale.budget()));
        }
        out.printf(
            Locale.ROOT,
            "| both nodes together, at any one sample | %d | <= %d (the budget holds across the"
                + " cluster) %s |%n",
            total,
            scale.budget(),
            verdict(total <= scale.budget()));
        out.printf(
            Locale.ROOT,
            "| GET /metrics of node 1 (%,d series, %,d bytes): p50 / p99 / max | %.1f / %.1f /"
                + " %.1f ms | p99 <= 25 ms %s |%n",
            series,
            body.length(),
            BenchServe.percentile(scrapes, 50),
            BenchServe.percentile(scrapes, 99),
            BenchServe.percentile(scrapes, 100),
            verdict(BenchServe.percentile(scrapes, 99) <= 25));
        for (Node node : nodes) {
          out.printf(
              Locale.ROOT,
              "| node %d: peak heap (largest heap before a GC, -Xmx%dm) | %d MiB | <= %d MB %s |%n",
              node.number,
              HEAP_LIMIT_MB,
              node.peakHeapMb,
              HEAP_LIMIT_MB,
              verdict(node.peakHeapMb <= HEAP_LIMIT_MB));
        }
        out.println();
        out.println("load average after: " + BenchMachine.loadAverage());
        if (!consistent) {
          out.println("INCONSISTENT: an invariant failed (see above).");
        }
        return consistent ? ExitCodes.CLEAN : ExitCodes.VIOLATIONS;
      } finally {
        for (Node node : nodes) {
          BenchServe.stop(node.started);
        }
      }
    }
  }

  private static String verdict(boolean met) {
    return met ? "met" : "NOT MET";
  }

  private static double since(long nanos) {
    return (System.nanoTime() - nanos) / 1e9;
  }

  /** A serve process of the cluster. */
  private static final class Node {
    final int number;
    final int http;
    final BenchServe.Started started;
    final Path gcLog;
    double readySeconds;
    String sharing;
    long peakHeapMb;

    Node(int number, int http, BenchServe.Started started, Path gcLog) {
      this.number = number;
      this.http = http;
      this.started = started;
      this.gcLog = gcLog;
    }
  }

  /** The node's own account of its start (serve's start-up log line: each phase's time and CPU). */
  private static Optional<String> startUpLine(Path log) throws IOException {
    try (Stream<String> lines = Files.lines(log)) {
      return lines
          .filter(l -> l.contains(" started ") && l.contains("after the JVM started"))
          .map(l -> l.substring(l.indexOf("node ")))
          .findFirst();
    }
  }

  /** The role node {@code n} logs in as, so that pg_stat_activity tells the nodes apart. */
  static String role(int node) {
    return "fleet_node_" + node;
  }

  /**
   * One schema per tenant: a parent {@code p} of 100 rows and {@link #CHILDREN} children of 100
   * rows each, child {@code k} of tenant {@code t} with {@code (t + k) % 4} orphans. The roles of
   * the nodes read everything (pg_read_all_data) and write nothing.
   */
  private static void createTenants(BenchDatabase database, int count) throws SQLException {
    try (Connection connection = database.connect();
        Statement statement = connection.createStatement()) {
      for (int n = 1; n <= NODES; n++) {
        statement.execute("CREATE ROLE " + role(n) + " LOGIN IN ROLE pg_read_all_data");
      }
      for (int t = 0; t < count; t++) {
        StringBuilder sql = new StringBuilder();
        String schema = schema(t);
        sql.append("CREATE SCHEMA ").append(schema).append(";");
        sql.append("CREATE TABLE ").append(schema).append(".p (id int PRIMARY KEY);");
        sql.append("INSERT INTO ")
            .append(schema)
            .append(".p SELECT generate_series(1, ")
            .append(ROWS)
            .append(");");
        for (int k = 0; k < CHILDREN; k++) {
          String child = schema + ".c" + k;
          sql.append("CREATE TABLE ")
              .append(child)
              .append(" (id int PRIMARY KEY, parent_id int);")
              .append("INSERT INTO ")
              .append(child)
              .append(" SELECT i, CASE WHEN i <= ")
              .append(expected(t, k))
              .append(" THEN 1000 + i ELSE i END FROM generate_series(1, ")
              .append(ROWS)
              .append(") i;");
        }
        statement.execute(sql.toString());
      }
      statement.execute("ANALYZE");
    }
  }

  /** The multi-tenant queries' time, and whether they found the counts the data holds. */
  private record Baseline(double seconds, boolean consistent) {}

  /**
   * Audit {@code j}'s work as one statement over every tenant: a {@code UNION ALL} of each schema's
   * anti-join count, labelled by schema. Run once to warm the cache, then timed.
   */
  private static Baseline baseline(BenchDatabase database, Scale scale) throws SQLException {
    boolean consistent = true;
    double seconds = 0;
    try (Connection connection = database.connect()) {
      for (int pass = 0; pass < 2; pass++) {
        seconds = 0;
        for (int j = 0; j < scale.audits(); j++) {
          StringBuilder sql = new StringBuilder();
          for (int t = 0; t < scale.tenants(); t++) {
            String schema = schema(t);
            if (t > 0) {
              sql.append(" UNION ALL ");
            }
            sql.append("SELECT ")
                .append(t)
                .append(", count(*) FROM ")
                .append(schema)
                .append(".c")
                .append(j % CHILDREN)
                .append(" c WHERE c.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ")
                .append(schema)
                .append(".p p WHERE p.id = c.parent_id)");
          }
          long start = System.nanoTime();
          try (Statement statement = connection.createStatement();
              ResultSet rows = statement.executeQuery(sql.toString())) {
            int found = 0;
            while (rows.next()) {
              found++;
              consistent &= rows.getLong(2) == expected(rows.getInt(1), j);
            }
            consistent &= found == scale.tenants();
          }
          seconds += since(start);
        }
      }
    }
    return new Baseline(seconds, consistent);
  }

  private static void writeAudits(Path dir, int audits) throws IOException {
    StringBuilder yaml = new StringBuilder("audits:\n");
    for (int j = 0; j < audits; j++) {
      yaml.append("  - id: fleet.a")
          .append(j)
          .append("\n    target: tenants\n    kind: orphan\n    child: c")
          .append(j % CHILDREN)
          .append(".parent_id\n    parent: p.id\n    schedule: '@weekly'\n");
    }
    Files.writeString(dir.resolve("audits.yaml"), yaml.toString());
  }

  /** The store database of the start that writes the class-data-sharing archive. */
  private static final String TRAINING_STORE = "bench_cds_training";

  /**
   * The nodes start as {@code serve} starts on a machine where it ran before (docs/operations.md,
   * the systemd unit and the container image under deploy/): with a class-data-sharing archive of
   * an earlier start, so the JVM maps the classes instead of loading them. The archive is written
   * by a start of its own before the measured ones, on a new store of its own (the migrations and
   * the job writes load their classes) and one tenant (a second or so of work), stopped once ready:
   * the JVM writes the archive when it stops. Its time to ready is printed, as a first start
   * without the archive. When the JVM cannot write the archive (the training start exits, as a JVM
   * with {@code -Xshare:off} in {@code JAVA_TOOL_OPTIONS} does at once: a dynamic archive needs the
   * JDK's base archive) or cannot map it ({@code -Xshare:on} refuses it), the nodes start without
   * one, and the account says why.
   */
  private static Sharing classDataArchive(
      Path dir,
      BenchDatabase tenants,
      BenchDatabase store,
      Scale scale,
      List<String> jvmOptions,
      HttpClient client)
      throws Exception {
    Path archive = dir.resolve("serve.jsa");
    Files.deleteIfExists(archive);
    try (Connection connection = store.connectStore();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + TRAINING_STORE);
    }
    int http = BenchServe.freePort();
    Path config =
        writeConfig(
            dir,
            "archive",
            role(1),
            tenants,
            store.url(TRAINING_STORE),
            schema(0),
            scale,
            http,
            // no run starts before it is stopped, so it stops at once (a run in flight is waited
            // for): the runs' classes load in the nodes during the cycle, not before ready
            "10m");
    Path log = dir.resolve("serve-archive.log");
    List<String> jvm = new ArrayList<>();
    jvm.add("-Xmx" + HEAP_LIMIT_MB + "m");
    jvm.add("-XX:ArchiveClassesAtExit=" + archive);
    jvm.addAll(jvmOptions);
    BenchServe.Started started = BenchServe.start(config, log, jvm);
    double ready = Double.NaN;
    String failed = null;
    try {
      ready = BenchServe.waitReady(client, http, started, Duration.ofMinutes(5));
    } catch (IOException e) {
      failed = e.getMessage() + lastLine(log).map(l -> ": " + l).orElse("");
    } finally {
      BenchServe.stop(started);
    }
    try (Connection connection = store.connectStore();
        Statement statement = connection.createStatement()) {
      statement.execute("DROP DATABASE " + TRAINING_STORE + " WITH (FORCE)");
    }
    if (failed != null || !Files.exists(archive)) {
      Files.deleteIfExists(archive);
      return new Sharing(
          Optional.empty(),
          "none: the start that writes it "
              + (failed != null ? "failed (" + failed + ")" : "wrote none")
              + " (see "
              + log
              + "); both nodes start without one");
    }
    Optional<String> refused =
        BenchServe.refusedArchive(archive, jvmOptions, dir.resolve("cds-check.log"));
    if (refused.isPresent()) {
      return new Sharing(
          Optional.empty(),
          "none: the JVM refuses to map the archive it wrote ("
              + refused.get()
              + "); both nodes start without one");
    }
    return new Sharing(
        Optional.of(archive),
        String.format(
            Locale.ROOT,
            "written by a start of its own (new store, 1 tenant, no archive: ready after %.2f s),"
                + " %d MB, mapped by -Xshare:on; both nodes start with it",
            ready,
            Files.size(archive) >> 20));
  }

  /**
   * What node {@code log} started with: the JVM ignores an archive it cannot use (another JVM
   * build, a changed class path), saying so on the node's output, and the node starts without it.
   */
  private static String nodeSharing(Sharing sharing, Path log) throws IOException {
    if (sharing.archive().isEmpty()) {
      return sharing.label();
    }
    try (Stream<String> lines = Files.lines(log)) {
      return lines.anyMatch(l -> l.contains("Unable to use shared archive"))
          ? "without a CDS archive (the JVM refused it, see " + log + ")"
          : sharing.label();
    }
  }

  /** The last line of {@code log} that is not blank (a JVM's error on exit), if any. */
  private static Optional<String> lastLine(Path log) throws IOException {
    if (!Files.exists(log)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(log);
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (!lines.get(i).isBlank()) {
        return Optional.of(lines.get(i).strip());
      }
    }
    return Optional.empty();
  }

  /**
   * A node's configuration: the template over the tenants' schemas matching {@code schemas}, logged
   * in as {@code role} (each node its own, so that pg_stat_activity tells them apart). The nodes
   * get every audit's first run at once ({@code firstRunWindow} 0s), so the cluster runs one full
   * cycle as soon as it starts.
   */
  private static Path writeConfig(
      Path dir,
      String node,
      String role,
      BenchDatabase tenants,
      String storeUrl,
      String schemas,
      Scale scale,
      int http,
      String firstRunWindow)
      throws IOException {
    Path config = dir.resolve("integrity-auditor-" + node + ".yaml");
    Files.writeString(
        config,
        """
        node_id: fleet-%s
        store:
          url: %s
          user: postgres
        targets:
          tenants:
            url: %s
            user: %s
            schemas: "%s"
        connection_budget:
          per_server: %d
        scheduler:
          first_run_window: %s
        audits:
          - audits.yaml
        http:
          port: %d
          read_only: true
        """
            .formatted(
                node,
                storeUrl,
                tenants.url(BenchDatabase.TARGET),
                role,
                schemas,
                scale.budget(),
                firstRunWindow,
                http));
    return config;
  }

  /** The cycle's duration from the store's own times, and whether every run found its count. */
  private record Cycle(double seconds, boolean consistent, String byNode) {}

  /**
   * Waits until every one of the N × A audits has a completed run in the store (or a node died, or
   * --cycle-minutes passed), then checks each run's count against the data.
   */
  private static Cycle waitForCycle(
      BenchDatabase store, Scale scale, List<Node> nodes, PrintStream out) throws Exception {
    long deadline = System.nanoTime() + scale.cycleLimit().toNanos();
    long done = 0;
    long reported = System.nanoTime();
    try (Connection connection = store.connectStore()) {
      while (System.nanoTime() < deadline) {
        done = finishedRuns(connection);
        if (done >= scale.runs()) {
          break;
        }
        for (Node node : nodes) {
          if (!node.started.process().isAlive()) {
            out.printf("node %d exited during the cycle%n", node.number);
            return new Cycle(Double.NaN, false, "node died");
          }
        }
        if (System.nanoTime() - reported > Duration.ofSeconds(15).toNanos()) {
          out.printf("  %,d of %,d runs done%n", done, scale.runs());
          reported = System.nanoTime();
        }
        Thread.sleep(250);
      }
      boolean consistent = done >= scale.runs();
      if (!consistent) {
        out.printf(
            "INCOMPLETE: %,d of %,d runs after %d minutes (--cycle-minutes)%n",
            done, scale.runs(), scale.cycleLimit().toMinutes());
      }
      // every run of a member, by fire time: a fire time runs at most once (the store's unique
      // (audit, fire time) index), but a member whose own moment of the week comes during the
      // cycle runs again then, after its first run: legitimate, printed for the reader to check
      Map<String, Map<Instant, Long>> byAudit = new HashMap<>();
      int wrong = 0;
      try (Statement statement = connection.createStatement();
          ResultSet rows =
              statement.executeQuery(
                  "SELECT audit_id, scheduled_fire_time, violations FROM integrity_auditor.audit_run"
                      + RAN
                      + " ORDER BY audit_id, scheduled_fire_time")) {
        while (rows.next()) {
          long violations = rows.getObject(3) == null ? -1 : rows.getLong(3);
          byAudit
              .computeIfAbsent(rows.getString(1), id -> new TreeMap<>())
              .put(rows.getTimestamp(2).toInstant(), violations);
        }
      }
      byAudit.forEach(
          (id, runs) -> {
            if (runs.size() > 1) {
              out.printf("  %s ran at %d fire times of its schedule: %s%n", id, runs.size(), runs);
            }
          });
      try (Statement statement = connection.createStatement();
          ResultSet rows =
              statement.executeQuery(
                  "SELECT error_class, count(*) FROM integrity_auditor.audit_run"
                      + " WHERE status = 'skipped' GROUP BY error_class ORDER BY error_class")) {
        while (rows.next()) {
          out.printf(
              "  fire times recorded as skipped (%s): %,d%n", rows.getString(1), rows.getLong(2));
        }
      }
      for (int j = 0; j < scale.audits(); j++) {
        for (int t = 0; t < scale.tenants(); t++) {
          String id = "fleet.a" + j + "@" + schema(t);
          Map<Instant, Long> runs = byAudit.getOrDefault(id, Map.of());
          Set<Long> found = Set.copyOf(runs.values());
          if (found.size() != 1 || !found.contains(expected(t, j))) {
            if (wrong++ < 10) {
              out.printf(
                  "INCONSISTENT: %s found %s, the data holds %d%n", id, found, expected(t, j));
            }
            consistent = false;
          }
        }
      }
      double seconds;
      Map<String, Long> perNode = new LinkedHashMap<>();
      try (Statement statement = connection.createStatement();
          ResultSet span =
              statement.executeQuery(
                  "SELECT extract(epoch FROM max(finished_at) - min(started_at))"
                      + " FROM integrity_auditor.audit_run")) {
        span.next();
        seconds = span.getDouble(1);
      }
      try (Statement statement = connection.createStatement();
          ResultSet rows =
              statement.executeQuery(
                  "SELECT node_id, count(*) FROM integrity_auditor.audit_run GROUP BY node_id"
                      + " ORDER BY node_id")) {
        while (rows.next()) {
          perNode.put(rows.getString(1), rows.getLong(2));
        }
      }
      StringBuilder byNode = new StringBuilder();
      perNode.forEach(
          (node, runs) ->
              byNode
                  .append(byNode.isEmpty() ? "" : ", ")
                  .append(String.format(Locale.ROOT, "%,d by %s", runs, node)));
      return new Cycle(seconds, consistent, byNode.toString());
    }
  }

  /**
   * The runs that ran: a fire time recorded as skipped (a member's weekly fire time that misfired
   * while its first run waited for a thread, docs/reliability.md) is a record, not a second run.
   */
  private static final String RAN = " WHERE status NOT IN ('running', 'skipped')";

  /** Audits with a finished run (a run twice is counted once here, and fails the check after). */
  private static long finishedRuns(Connection connection) throws SQLException {
    try (PreparedStatement statement =
            connection.prepareStatement(
                "SELECT count(DISTINCT audit_id) FROM integrity_auditor.audit_run" + RAN);
        ResultSet rows = statement.executeQuery()) {
      rows.next();
      return rows.getLong(1);
    }
  }

  private static final Pattern GC_PAUSE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

  /**
   * The largest heap use a node's GC log shows (the heap before each collection, where the heap is
   * at its fullest). Unified logging of {@code -Xlog:gc}: {@code Pause Young ... 120M->40M(512M)}.
   */
  static long peakHeapMb(Path gcLog) throws IOException {
    long peak = 0;
    if (!Files.exists(gcLog)) {
      return peak;
    }
    for (String line : Files.readAllLines(gcLog)) {
      Matcher m = GC_PAUSE.matcher(line);
      while (m.find()) {
        peak = Math.max(peak, Math.max(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
      }
    }
    return peak;
  }

  /**
   * Samples {@code pg_stat_activity} of the tenants' server as often as it can on a connection of
   * its own: the most connections each node's role held at one moment, and both together.
   */
  private static final class Sampler implements AutoCloseable {
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<String, Integer> peaks = new HashMap<>();
    private volatile long samples;
    private volatile SQLException failure;

    private Sampler(BenchDatabase database) {
      this.thread =
          new Thread(
              () -> {
                try (Connection connection = database.connect();
                    PreparedStatement statement =
                        connection.prepareStatement(
                            "SELECT usename, count(*)::int FROM pg_stat_activity WHERE usename"
                                + " LIKE 'fleet\\_node\\_%' GROUP BY usename")) {
                  while (running.get()) {
                    int total = 0;
                    synchronized (peaks) {
                      try (ResultSet rows = statement.executeQuery()) {
                        while (rows.next()) {
                          peaks.merge(rows.getString(1), rows.getInt(2), Math::max);
                          total += rows.getInt(2);
                        }
                      }
                      peaks.merge("total", total, Math::max);
                    }
                    samples++;
                    Thread.sleep(5);
                  }
                } catch (SQLException e) {
                  failure = e;
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "fleet-connection-sampler");
      thread.setDaemon(true);
    }

    static Sampler start(BenchDatabase database) {
      Sampler sampler = new Sampler(database);
      sampler.thread.start();
      return sampler;
    }

    long samples() {
      return samples;
    }

    /** Stops sampling; the peaks by role, and {@code total}. */
    Map<String, Integer> stop() throws InterruptedException, SQLException {
      running.set(false);
      thread.join();
      if (failure != null) {
        throw failure;
      }
      synchronized (peaks) {
        return Map.copyOf(peaks);
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join();
    }
  }
}
