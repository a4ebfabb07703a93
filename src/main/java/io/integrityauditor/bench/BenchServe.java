package io.integrityauditor.bench;

import io.integrityauditor.config.Environment;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.serve.Auditor;
import io.integrityauditor.store.RunTrigger;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code serve} with many audits, in a process of its own as in production: how long it takes to be
 * ready (the database already running), and how long {@code GET /metrics} takes once every audit
 * has a result.
 */
final class BenchServe {
  private BenchServe() {}

  /**
   * The command line's entry point, named rather than imported: cli registers the bench subcommand,
   * so bench importing cli would make the two packages import each other.
   */
  private static final String MAIN_CLASS = "io.integrityauditor.cli.Main";

  /** Tables the configured audits spread over. */
  private static final int TABLES = 20;

  /**
   * @param startSeconds from process start to {@code /health/ready} answering 200, launched as the
   *     README launches it ({@code java -jar}, no JVM tuning)
   * @param archivedStartSeconds the same with the class-data-sharing archive of a previous start
   *     ({@code -XX:SharedArchiveFile}, docs/operations.md); NaN when the JVM could not make one
   * @param scrapeMillis latency of each {@code GET /metrics}
   * @param series sample lines in one scrape
   * @param bytes size of one scrape
   */
  record Result(
      int audits,
      double startSeconds,
      double archivedStartSeconds,
      List<Double> scrapeMillis,
      long series,
      long bytes) {
    double percentile(double p) {
      return BenchServe.percentile(scrapeMillis, p);
    }
  }

  /** A port nobody listens on now. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The nearest-rank percentile {@code p} (0-100) of {@code values}; NaN when there are none. */
  static double percentile(List<Double> values, double p) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  /** Milliseconds of each of {@code count} {@code GET url}, after up to 50 warm-up requests. */
  static List<Double> scrapes(HttpClient client, String url, int count) throws Exception {
    for (int i = 0; i < Math.min(50, count); i++) {
      get(client, url); // warm-up
    }
    List<Double> latencies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      long t0 = System.nanoTime();
      get(client, url);
      latencies.add((System.nanoTime() - t0) / 1e6);
    }
    return latencies;
  }

  static Result measure(Path work, BenchDatabase database, int audits, int scrapes, PrintStream out)
      throws Exception {
    Path dir = Files.createDirectories(work.resolve("serve"));
    try (Connection connection = database.connect();
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE TABLE IF NOT EXISTS small_parent (id int PRIMARY KEY)");
      statement.execute(
          "INSERT INTO small_parent SELECT generate_series(1, 100) ON CONFLICT DO NOTHING");
      for (int t = 0; t < TABLES; t++) {
        statement.execute(
            "CREATE TABLE IF NOT EXISTS small_child_" + t + " (id int PRIMARY KEY, parent_id int)");
        statement.execute(
            "INSERT INTO small_child_"
                + t
                + " SELECT i, i % 103 FROM generate_series(1, 200) i ON CONFLICT DO NOTHING");
      }
    }
    StringBuilder yaml =
        new StringBuilder("defaults:\n  schedule: \"@weekly\"\n  severity: warn\naudits:\n");
    for (int i = 0; i < audits; i++) {
      yaml.append("  - id: small.")
          .append(i)
          .append("\n    kind: orphan\n    child: small_child_")
          .append(i % TABLES)
          .append(".parent_id\n    parent: small_parent.id\n");
    }
    Files.writeString(dir.resolve("audits.yaml"), yaml.toString());
    int port = freePort();
    Path config = dir.resolve("integrity-auditor.yaml");
    Files.writeString(
        config,
        """
        node_id: bench-serve
        store:
          url: %s
          user: postgres
        targets:
          bench:
            url: %s
            user: postgres
        audits:
          - audits.yaml
        http:
          port: %d
          read_only: true
        """
            .formatted(
                database.url(BenchDatabase.STORE), database.url(BenchDatabase.TARGET), port));
    // every audit gets a result first (the real path: binder, runner, store), so that the
    // scrape exports values, not NaN
    WorkerConfig workerConfig = new WorkerConfigLoader(Environment.of(Map.of())).load(config);
    try (Auditor auditor = Auditor.open(workerConfig, Clock.systemUTC())) {
      var set = auditor.loadAudits();
      Auditor.Binding binding = auditor.bind(set.audits());
      auditor.runAll(binding, set.audits(), RunTrigger.CHECK);
    }
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    double startSeconds;
    List<Double> latencies;
    long series;
    String body;
    Started process = start(config, dir.resolve("serve.log"), List.of());
    try {
      startSeconds = waitReady(client, port, process);
      String base = "http://localhost:" + port + "/metrics";
      // the worker reads the store's results in the background every few seconds: wait until the
      // scrape carries them
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      body = get(client, base);
      while (body.contains("integrity_audit_violations{")
          && body.contains("} NaN")
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
        body = get(client, base);
      }
      series = body.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).count();
      latencies = scrapes(client, base, scrapes);
    } finally {
      stop(process);
    }
    out.printf(
        "  ready after %.2f s; %d series, %d bytes per scrape%n",
        startSeconds, series, body.length());
    double archived = archivedStart(database, config, dir, client, port);
    out.printf("  with a class-data-sharing archive: ready after %.2f s%n", archived);
    return new Result(audits, startSeconds, archived, latencies, series, body.length());
  }

  /**
   * Start-up with a class-data-sharing archive, as docs/operations.md recommends: one start writes
   * the archive when it stops, the next one maps the classes from it. Both begin, like the first
   * measurement, with no Quartz job in the store.
   */
  private static double archivedStart(
      BenchDatabase database, Path config, Path dir, HttpClient client, int port) throws Exception {
    Path archive = dir.resolve("serve.jsa");
    Files.deleteIfExists(archive);
    forgetJobs(database);
    readyAfter(
        config,
        dir.resolve("serve-archive.log"),
        "-XX:ArchiveClassesAtExit=" + archive,
        client,
        port);
    if (!Files.exists(archive)) {
      return Double.NaN;
    }
    forgetJobs(database);
    return readyAfter(
        config,
        dir.resolve("serve-archived.log"),
        "-XX:SharedArchiveFile=" + archive,
        client,
        port);
  }

  /** Starts {@code serve} with one JVM option, stops it once ready; seconds until it was ready. */
  private static double readyAfter(
      Path config, Path log, String jvmOption, HttpClient client, int port) throws Exception {
    Started started = start(config, log, List.of(jvmOption));
    try {
      return waitReady(client, port, started);
    } finally {
      stop(started);
    }
  }

  /** Empties Quartz's tables in the store, so that the next start creates every job again. */
  private static void forgetJobs(BenchDatabase database) throws SQLException {
    try (Connection connection = database.connectStore();
        Statement statement = connection.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (var rows =
          statement.executeQuery(
              "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables"
                  + " WHERE table_name ILIKE 'qrtz%' AND table_type = 'BASE TABLE'")) {
        while (rows.next()) {
          tables.add(rows.getString(1));
        }
      }
      if (!tables.isEmpty()) {
        statement.execute("TRUNCATE " + String.join(", ", tables));
      }
    }
  }

  /** A {@code serve} process and {@link System#nanoTime} just before it was started. */
  record Started(Process process, long nanos) {}

  /** Starts {@code serve} in a JVM of its own, as in production. */
  static Started start(Path config, Path log, List<String> jvmOptions) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(MAIN_CLASS);
    command.add("serve");
    command.add("--config");
    command.add(config.toString());
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.redirectErrorStream(true);
    builder.redirectOutput(log.toFile());
    long nanos = System.nanoTime();
    return new Started(builder.start(), nanos);
  }

  /**
   * Whether the JVM maps {@code archive}: {@code --version} with the nodes' {@code jvmOptions} and
   * {@code -Xshare:on}, which fails where the default {@code -Xshare:auto} would silently start
   * without the archive. Empty when it maps; else the JVM's reason (its output is in {@code log}).
   */
  static Optional<String> refusedArchive(Path archive, List<String> jvmOptions, Path log)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:SharedArchiveFile=" + archive);
    command.addAll(jvmOptions);
    command.add("-Xshare:on");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(MAIN_CLASS);
    command.add("--version");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!process.waitFor(2, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      return Optional.of("no answer within 2 minutes");
    }
    if (process.exitValue() == 0) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(log);
    return Optional.of(
        "exit "
            + process.exitValue()
            + (lines.isEmpty()
                ? ""
                : ": "
                    + String.join(
                        " ", lines.subList(Math.max(0, lines.size() - 2), lines.size()))));
  }

  /** SIGTERM, as a service manager stops it (the JVM writes a requested archive on this exit). */
  static void stop(Started started) throws InterruptedException {
    Process process = started.process();
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Seconds from the process's start to {@code /health/ready} answering 200. */
  static double waitReady(HttpClient client, int port, Started started) throws Exception {
    return waitReady(client, port, started, Duration.ofMinutes(2));
  }

  /**
   * Seconds from the process's start to {@code /health/ready} answering 200, within {@code limit}.
   */
  static double waitReady(HttpClient client, int port, Started started, Duration limit)
      throws Exception {
    Process process = started.process();
    long start = started.nanos();
    URI ready = URI.create("http://localhost:" + port + "/health/ready");
    long deadline = start + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("serve exited with " + process.exitValue() + " while starting");
      }
      try {
        HttpResponse<Void> response =
            client.send(
                HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return (System.nanoTime() - start) / 1e9;
        }
      } catch (IOException notListeningYet) {
        // not yet
      }
      Thread.sleep(20);
    }
    throw new IOException("serve was not ready within " + limit);
  }

  static String get(HttpClient client, String url) throws Exception {
    HttpResponse<String> response =
        client.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(url + " answered " + response.statusCode());
    }
    return response.body();
  }
}
