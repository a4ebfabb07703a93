package io.integrityauditor.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Loads and validates the worker configuration file. See docs/configuration.md for every key. */
public final class WorkerConfigLoader {
  static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
  private static final Pattern SERVER_ADDRESS =
      Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[^\\s:\\[\\]]+):[0-9]{1,5}");
  private static final Pattern URL_PASSWORD = Pattern.compile("(?i)[?&]password=([^&]*)");

  private final Environment environment;
  private final boolean serving;

  public WorkerConfigLoader(Environment environment) {
    this(environment, true);
  }

  private WorkerConfigLoader(Environment environment, boolean serving) {
    this.environment = environment;
    this.serving = serving;
  }

  /**
   * A loader for the commands that open no HTTP listener ({@code check}, {@code runs}, ...): the
   * listener's token may be missing from their environment. On-call running {@code check} from a
   * laptop with the production file was refused for a token only {@code serve} uses (newuser23);
   * {@code validate} and {@code serve} still require it.
   */
  public WorkerConfigLoader withoutServing() {
    return new WorkerConfigLoader(environment, false);
  }

  /**
   * Where a top-level key of a loaded configuration file is written, for problems found after
   * loading (what {@code serve} needs beyond a valid file); the file itself (line 0) when the key
   * is absent or the file cannot be read again.
   */
  public static Location topLevelKeyLocation(Path file, String key) {
    Location whole = Location.of(file, 0);
    if (file == null) {
      return whole;
    }
    try {
      return YamlTree.parse(file) instanceof Node.MapNode map && map.entries().containsKey(key)
          ? map.entries().get(key).keyLocation()
          : whole;
    } catch (ConfigException e) {
      return whole;
    }
  }

  public WorkerConfig load(Path file) {
    return load(file, true);
  }

  /**
   * Like {@link #load}, but audit file patterns may match nothing yet: {@code suggest} needs only
   * the targets, and is how the first audit file gets written.
   */
  public WorkerConfig loadTargetsOnly(Path file) {
    return load(file, false);
  }

  private WorkerConfig load(Path file, boolean auditFilesRequired) {
    Node root = YamlTree.parse(file);
    Problems problems = new Problems();
    Problems warnings = new Problems();
    Fields fields = Fields.of(root, "", null, problems, environment);
    Path baseDir = file.toAbsolutePath().getParent();

    String nodeId = fields.string("node_id").orElseGet(WorkerConfigLoader::defaultNodeId);
    Optional<DatabaseConfig> store =
        fields
            .map("store")
            .map(
                s -> {
                  DatabaseConfig database = database(s, baseDir, 5, warnings);
                  s.rejectUnknown();
                  return database;
                })
            .filter(d -> d.url() != null);
    Map<String, TargetConfig> targets = targets(fields, baseDir, warnings);
    List<String> patterns = auditPatterns(fields);
    List<Path> auditFiles = auditFiles(fields, baseDir, patterns, auditFilesRequired);
    SchedulerConfig scheduler =
        fields.map("scheduler").map(this::scheduler).orElse(SchedulerConfig.DEFAULTS);
    HttpConfig http = fields.map("http").map(h -> http(h, baseDir)).orElse(HttpConfig.DEFAULTS);
    RetentionConfig retention =
        fields.map("retention").map(this::retention).orElse(RetentionConfig.DEFAULTS);
    RetryPolicy retry = fields.map("retry").map(this::retry).orElse(RetryPolicy.DEFAULTS);
    ConnectionBudget budget =
        fields
            .map("connection_budget")
            .map(WorkerConfigLoader::connectionBudget)
            .orElse(ConnectionBudget.DEFAULTS);
    fields.rejectUnknown();
    problems.throwIfAny();
    return new WorkerConfig(
        file,
        nodeId,
        store,
        targets,
        auditFiles,
        patterns,
        scheduler,
        http,
        retention,
        retry,
        budget,
        warnings.list());
  }

  /** Re-expands the audit globs (on reload: files may have been added or removed). */
  public static List<Path> expandAuditFiles(WorkerConfig config) {
    Path baseDir = config.file().toAbsolutePath().getParent();
    TreeSet<Path> files = new TreeSet<>();
    for (String pattern : config.auditPatterns()) {
      files.addAll(expand(baseDir, pattern));
    }
    return new ArrayList<>(files);
  }

  private SchedulerConfig scheduler(Fields fields) {
    SchedulerConfig d = SchedulerConfig.DEFAULTS;
    SchedulerConfig scheduler =
        new SchedulerConfig(
            fields.integer("threads", 1, 64).map(Long::intValue).orElse(d.threads()),
            fields
                .duration("checkin_interval", Duration.ofMillis(500), Duration.ofMinutes(5))
                .orElse(d.checkinInterval()),
            fields
                .duration("misfire_threshold", Duration.ofSeconds(1), Duration.ofHours(24))
                .orElse(d.misfireThreshold()),
            fields
                .duration("shutdown_grace", Duration.ZERO, Duration.ofHours(1))
                .orElse(d.shutdownGrace()),
            fields
                .duration("catalog_refresh", Duration.ofSeconds(1), Duration.ofDays(7))
                .orElse(d.catalogRefresh()),
            fields
                .duration("first_run_window", Duration.ZERO, Duration.ofDays(7))
                .orElse(d.firstRunWindow()),
            fields.string("override_schedule"));
    scheduler
        .overrideSchedule()
        .ifPresent(
            text -> {
              try {
                Schedule.parse(text, ZoneOffset.UTC);
              } catch (IllegalArgumentException e) {
                fields.problem("override_schedule", e.getMessage());
              }
            });
    fields.rejectUnknown();
    return scheduler;
  }

  private static ConnectionBudget connectionBudget(Fields fields) {
    ConnectionBudget d = ConnectionBudget.DEFAULTS;
    int perServer = fields.integer("per_server", 1, 1000).map(Long::intValue).orElse(d.perServer());
    Map<String, Integer> servers = new LinkedHashMap<>();
    fields
        .map("servers")
        .ifPresent(
            section ->
                section
                    .entries()
                    .keySet()
                    .forEach(
                        address -> {
                          if (!SERVER_ADDRESS.matcher(address).matches()) {
                            section.problem(
                                address,
                                "a server is named host:port as in the targets' URLs, such as"
                                    + " db1.internal:5432");
                            return;
                          }
                          section
                              .integer(address, 1, 1000)
                              .ifPresent(n -> servers.put(address, n.intValue()));
                        }));
    Duration wait =
        fields
            .duration("max_wait", Duration.ofSeconds(1), Duration.ofHours(24))
            .orElse(d.maxWait());
    fields.rejectUnknown();
    return new ConnectionBudget(perServer, servers, wait);
  }

  private RetryPolicy retry(Fields fields) {
    RetryPolicy d = RetryPolicy.DEFAULTS;
    RetryPolicy retry =
        new RetryPolicy(
            fields.integer("attempts", 1, 10).map(Long::intValue).orElse(d.attempts()),
            fields
                .duration("initial_backoff", Duration.ZERO, Duration.ofMinutes(10))
                .orElse(d.initialBackoff()),
            fields
                .duration("max_backoff", Duration.ZERO, Duration.ofHours(1))
                .orElse(d.maxBackoff()));
    fields.rejectUnknown();
    return retry;
  }

  private RetentionConfig retention(Fields fields) {
    RetentionConfig retention =
        new RetentionConfig(
            fields
                .duration("runs", Duration.ofHours(1), Duration.ofDays(36500))
                .orElse(RetentionConfig.DEFAULTS.runs()),
            fields
                .duration("resolved_alerts", Duration.ofHours(1), Duration.ofDays(36500))
                .orElse(RetentionConfig.DEFAULTS.resolvedAlerts()));
    fields.rejectUnknown();
    return retention;
  }

  private HttpConfig http(Fields fields, Path baseDir) {
    HttpConfig d = HttpConfig.DEFAULTS;
    String bind = fields.string("bind").orElse(d.bind());
    int port = fields.integer("port", 0, 65535).map(Long::intValue).orElse(d.port());
    boolean readOnly = fields.bool("read_only").orElse(false);
    boolean enabled = fields.bool("enabled").orElse(true);
    Optional<Secret> token = secret(fields, baseDir, "token", serving);
    HttpConfig.Links links =
        new HttpConfig.Links(
            url(fields, "external_url"), url(fields, "runbook_url"), url(fields, "grafana_url"));
    Optional<TlsConfig> tls = fields.map("tls").flatMap(t -> tls(t, baseDir));
    fields.rejectUnknown();
    return new HttpConfig(bind, port, token, readOnly, enabled, links, tls);
  }

  /**
   * {@code http.tls}: both PEM files, read now so that a wrong path or a key that does not belong
   * to the certificate is reported at its line, by {@code validate} too.
   */
  private static Optional<TlsConfig> tls(Fields fields, Path baseDir) {
    Optional<String> certificate = fields.string("certificate");
    Optional<String> privateKey = fields.string("private_key");
    for (String key : List.of("certificate", "private_key")) {
      if (!fields.has(key)) {
        fields.problem(
            "http.tls needs both certificate: (PEM: the certificate, then its chain) and"
                + " private_key: (PEM); missing "
                + key);
      }
    }
    fields.rejectUnknown();
    if (certificate.isEmpty() || privateKey.isEmpty()) {
      return Optional.empty();
    }
    TlsConfig tls =
        new TlsConfig(
            baseDir.resolve(certificate.get().strip()),
            baseDir.resolve(privateKey.get().strip()),
            fields.locationOf("certificate"),
            fields.locationOf("private_key"));
    try {
      PemCredentials.keyStore(tls, "validation only".toCharArray());
    } catch (ConfigException e) {
      fields.problems().addAll(e);
      return Optional.empty();
    }
    return Optional.of(tls);
  }

  /** An absolute http(s) URL (links shown to on-call), or a located problem. */
  private static Optional<URI> url(Fields fields, String key) {
    return fields
        .string(key)
        .flatMap(
            text -> {
              try {
                URI uri = new URI(text.strip());
                if (uri.isAbsolute()
                    && uri.getHost() != null
                    && (uri.getScheme().equals("https") || uri.getScheme().equals("http"))) {
                  return Optional.of(uri);
                }
              } catch (URISyntaxException e) {
                // reported below
              }
              fields.problem(
                  key,
                  "must be an absolute http(s) URL such as https://auditor.example.internal, found '"
                      + text
                      + "'");
              return Optional.empty();
            });
  }

  private Map<String, TargetConfig> targets(Fields fields, Path baseDir, Problems warnings) {
    Map<String, TargetConfig> targets = new LinkedHashMap<>();
    Optional<Fields> section = fields.map("targets");
    if (section.isEmpty()) {
      fields.problem("targets", "is required: name at least one database to audit");
      return targets;
    }
    section
        .get()
        .entries()
        .forEach(
            (name, entry) -> {
              if (!NAME.matcher(name).matches()) {
                fields
                    .problems()
                    .add(
                        entry.keyLocation(),
                        null,
                        "targets." + name,
                        "target names use lowercase letters, digits, '_' and '-' (max 63),"
                            + " starting with a letter");
                return;
              }
              Fields target =
                  Fields.of(entry.value(), "targets." + name, null, fields.problems(), environment);
              DatabaseConfig database = database(target, baseDir, 4, warnings);
              int maxConcurrent =
                  target.integer("max_concurrent_audits", 1, 64).map(Long::intValue).orElse(2);
              Optional<TargetTemplate> template = template(target);
              target.rejectUnknown();
              targets.put(name, new TargetConfig(name, database, maxConcurrent, template));
            });
    if (targets.isEmpty() && fields.problems().isEmpty()) {
      fields.problem("targets", "is empty: name at least one database to audit");
    }
    return targets;
  }

  /** {@code databases: PATTERN} or {@code schemas: PATTERN}: the target is a fleet's template. */
  private static Optional<TargetTemplate> template(Fields target) {
    Optional<String> databases = target.string("databases");
    Optional<String> schemas = target.string("schemas");
    Optional<Duration> every =
        target.duration("discover_every", Duration.ofSeconds(10), Duration.ofDays(1));
    if (databases.isPresent() && schemas.isPresent()) {
      target.problem(
          "schemas",
          "a template lists either databases: (a database per tenant) or schemas: (a schema per"
              + " tenant), not both; make two targets");
      return Optional.empty();
    }
    Optional<TargetTemplate> template =
        databases
            .map(p -> new TargetTemplate(TargetTemplate.Layout.DATABASES, p.strip(), Duration.ZERO))
            .or(
                () ->
                    schemas.map(
                        p ->
                            new TargetTemplate(
                                TargetTemplate.Layout.SCHEMAS, p.strip(), Duration.ZERO)));
    if (template.isEmpty()) {
      if (every.isPresent()) {
        target.problem(
            "discover_every",
            "only a template (a target with databases: or schemas:) discovers tenants");
      }
      return Optional.empty();
    }
    String key =
        template.get().layout() == TargetTemplate.Layout.DATABASES ? "databases" : "schemas";
    if (template.get().pattern().isEmpty()) {
      target.problem(key, "is empty: give the tenants' names as a pattern such as tenant_*");
      return Optional.empty();
    }
    String url = target.string("url").orElse("");
    if (template.get().layout() == TargetTemplate.Layout.DATABASES
        && !url.startsWith("jdbc:postgresql://")) {
      target.problem(
          "url",
          "a databases: template needs a URL naming its server, such as"
              + " jdbc:postgresql://db1:5432/postgres (any database the role may connect to: the"
              + " tenants' databases are listed from there)");
    }
    return Optional.of(
        new TargetTemplate(
            template.get().layout(),
            template.get().pattern(),
            every.orElse(TargetTemplate.DEFAULT_DISCOVER_EVERY)));
  }

  private DatabaseConfig database(Fields fields, Path baseDir, int defaultPool, Problems warnings) {
    String url = fields.requiredString("url");
    if (url != null && !url.startsWith("jdbc:postgresql:")) {
      fields.problem(
          "url",
          "must be a PostgreSQL JDBC URL like jdbc:postgresql://host:5432/database, found '"
              + Redactor.redact(Fields.abbreviate(url))
              + "'");
    }
    String user = fields.string("user").orElse(null);
    Optional<Secret> password = password(fields, baseDir, url, warnings);
    // The password travels separately to the driver, so no pool or driver log can print it.
    String urlWithoutPassword = url == null ? null : withoutPassword(url);
    int poolSize = fields.integer("pool_size", 1, 100).map(Long::intValue).orElse(defaultPool);
    Duration connectTimeout =
        fields
            .duration("connect_timeout", Duration.ofMillis(250), Duration.ofMinutes(5))
            .orElse(Duration.ofSeconds(10));
    return new DatabaseConfig(urlWithoutPassword, user, password, poolSize, connectTimeout);
  }

  private Optional<Secret> password(Fields fields, Path baseDir, String url, Problems warnings) {
    Optional<Secret> declared = secret(fields, baseDir, "password");
    if (declared.isPresent() || fields.has("password_env") || fields.has("password_file")) {
      if (url != null && URL_PASSWORD.matcher(url).find() && fields.writtenInFile("url")) {
        // taken out of the URL and not used, but still committed with the file (newuser25: no
        // word about it, while a password alone in the URL is warned about)
        warnings.add(
            fields.locationOf("url"),
            null,
            fields.keyPath("url"),
            "the JDBC URL holds a password that is not used ("
                + (fields.has("password_env") ? "password_env" : "password_file")
                + " gives the password), but it is written in this file (and in its history);"
                + " remove password= from the URL");
      }
      return declared;
    }
    if (url != null) {
      Matcher inUrl = URL_PASSWORD.matcher(url);
      if (inUrl.find()) {
        // pgjdbc URL-decodes the parameters of a URL (URLDecoder, UTF-8): so does the password
        // taken out of it, or "p%40ss" would reach the server as typed and "&" could not be given
        try {
          Secret secret =
              Secret.of(URLDecoder.decode(inUrl.group(1), StandardCharsets.UTF_8), "the JDBC URL");
          if (fields.writtenInFile("url")) {
            // masked everywhere, but committed with the file: say so where it can still be moved
            // (newuser24: accepted silently while the README asks for the environment or a file)
            warnings.add(
                fields.locationOf("url"),
                null,
                fields.keyPath("url"),
                "the JDBC URL holds a password: it is masked in every output, but it is written in"
                    + " this file (and in its history); remove password= from the URL and give it"
                    + " with password_env: VARIABLE or password_file: PATH");
          }
          return Optional.of(secret);
        } catch (IllegalArgumentException e) {
          fields.problem(
              "url",
              "the password parameter is not valid URL encoding; write each special character as"
                  + " %XX (e.g. %40 for @, %26 for &, %25 for %, %2B for +), or use password_env");
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /**
   * A secret given as {@code <name>_env} (environment variable) or {@code <name>_file}; a plain
   * {@code <name>:} is refused, so secrets never sit in configuration files.
   */
  private Optional<Secret> secret(Fields fields, Path baseDir, String name) {
    return secret(fields, baseDir, name, true);
  }

  /**
   * @param required false: a variable that is not set, or a file that does not exist, is no problem
   *     and gives no secret
   */
  private Optional<Secret> secret(Fields fields, Path baseDir, String name, boolean required) {
    String envKey = name + "_env";
    String fileKey = name + "_file";
    if (fields.has(name) && !fields.writtenInFile(name)) {
      // INTEGRITY_AUDITOR_..._PASSWORD: the twelve-factor way, fine because it is not a file
      return fields
          .string(name)
          .map(value -> Secret.of(value, "environment variable " + fields.envName(name)));
    }
    if (fields.has(name)) {
      fields.node(name);
      fields.problem(
          name,
          name
              + "s are never written in the configuration file; use "
              + envKey
              + ": VARIABLE or "
              + fileKey
              + ": PATH");
      return Optional.empty();
    }
    Optional<String> variable = fields.string(envKey);
    Optional<String> secretFile = fields.string(fileKey);
    if (variable.isPresent() && secretFile.isPresent()) {
      fields.problem(fileKey, "set either " + envKey + " or " + fileKey + ", not both");
      return Optional.empty();
    }
    if (variable.isPresent()) {
      Optional<String> value = environment.get(variable.get());
      if (value.isEmpty() || value.get().isEmpty()) {
        if (!required) {
          return Optional.empty();
        }
        fields.problem(
            envKey,
            "environment variable " + variable.get() + " is not set; export it before starting");
        return Optional.empty();
      }
      return Optional.of(Secret.of(value.get(), "environment variable " + variable.get()));
    }
    if (secretFile.isPresent()) {
      Path path = baseDir.resolve(secretFile.get());
      try {
        String value = Files.readString(path, StandardCharsets.UTF_8).strip();
        if (value.isEmpty()) {
          fields.problem(fileKey, "file " + path + " is empty");
          return Optional.empty();
        }
        return Optional.of(Secret.of(value, "file " + path));
      } catch (NoSuchFileException e) {
        if (!required) {
          return Optional.empty();
        }
        fields.problem(fileKey, "file " + path + " does not exist");
        return Optional.empty();
      } catch (AccessDeniedException e) {
        fields.problem(fileKey, "file " + path + " is not readable by this process");
        return Optional.empty();
      } catch (IOException e) {
        fields.problem(fileKey, "cannot read " + path);
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  private static List<String> auditPatterns(Fields fields) {
    return fields.has("audits") ? fields.stringList("audits") : List.of("audits/*.yaml");
  }

  private List<Path> auditFiles(
      Fields fields, Path baseDir, List<String> patterns, boolean required) {
    TreeSet<Path> files = new TreeSet<>();
    for (String pattern : patterns) {
      List<Path> matches = expand(baseDir, pattern);
      if (matches.isEmpty() && required) {
        fields.problem(
            "audits",
            "no audit file matches '"
                + pattern
                + "' (relative to "
                + Location.displayPath(baseDir)
                + ")");
      }
      files.addAll(matches);
    }
    return new ArrayList<>(files);
  }

  /** Expands a path or glob ({@code *}, {@code **}, {@code ?}, {@code {a,b}}) under baseDir. */
  static List<Path> expand(Path baseDir, String pattern) {
    String literalPrefix = pattern.replaceAll("[*?{\\[].*", "");
    if (!literalPrefix.isEmpty() && Path.of(literalPrefix).isAbsolute()) {
      // an absolute pattern: expand it from the file-system root, not the config directory
      Path root = Path.of(literalPrefix).getRoot();
      return expand(root, pattern.substring(root.toString().length()));
    }
    Path direct = baseDir.resolve(pattern).normalize();
    if (!pattern.matches(".*[*?{\\[].*")) {
      return Files.isRegularFile(direct) ? List.of(direct) : List.of();
    }
    String normalized = pattern.replace('\\', '/');
    int firstGlob = normalized.length();
    for (char c : new char[] {'*', '?', '{', '['}) {
      int at = normalized.indexOf(c);
      if (at >= 0) {
        firstGlob = Math.min(firstGlob, at);
      }
    }
    int slash = normalized.lastIndexOf('/', firstGlob);
    Path root = slash < 0 ? baseDir : baseDir.resolve(normalized.substring(0, slash)).normalize();
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    String base = baseDir.normalize().toString().replace('\\', '/');
    // the directory part is literal: escape glob characters that may occur in real paths
    base = base.replaceAll("([*?\\[\\]{}])", "\\\\$1");
    PathMatcher matcher =
        FileSystems.getDefault()
            .getPathMatcher("glob:" + (base.endsWith("/") ? base : base + "/") + normalized);
    int depth =
        normalized.contains("**")
            ? 32
            : (int) normalized.substring(slash + 1).chars().filter(c -> c == '/').count() + 1;
    try (Stream<Path> walk = Files.walk(root, depth)) {
      return walk.filter(Files::isRegularFile)
          .map(Path::normalize)
          .filter(matcher::matches)
          .sorted()
          .toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** {@code jdbc:postgresql://h/db?password=x&ssl=true} becomes {@code ...?ssl=true}. */
  static String withoutPassword(String url) {
    int query = url.indexOf('?');
    if (query < 0) {
      return url;
    }
    List<String> kept = new ArrayList<>();
    for (String parameter : url.substring(query + 1).split("&")) {
      if (!parameter.toLowerCase(Locale.ROOT).startsWith("password=")) {
        kept.add(parameter);
      }
    }
    return url.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
  }

  static String defaultNodeId() {
    String host = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("");
    if (host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = "node";
      }
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
