package io.integrityauditor.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Loads and validates the worker configuration file. See docs/configuration.md for every key. */
public final class WorkerConfigLoader {
  static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
  private static final Pattern URL_PASSWORD = Pattern.compile("(?i)[?&]password=([^&]*)");

  private final Environment environment;

  public WorkerConfigLoader(Environment environment) {
    this.environment = environment;
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
    Fields fields = Fields.of(root, "", null, problems, environment);
    Path baseDir = file.toAbsolutePath().getParent();

    String nodeId = fields.string("node_id").orElseGet(WorkerConfigLoader::defaultNodeId);
    Optional<DatabaseConfig> store =
        fields
            .map("store")
            .map(
                s -> {
                  DatabaseConfig database = database(s, baseDir, 5);
                  s.rejectUnknown();
                  return database;
                })
            .filter(d -> d.url() != null);
    Map<String, TargetConfig> targets = targets(fields, baseDir);
    List<Path> auditFiles = auditFiles(fields, baseDir, auditFilesRequired);
    fields.rejectUnknown();
    problems.throwIfAny();
    return new WorkerConfig(file, nodeId, store, targets, auditFiles);
  }

  private Map<String, TargetConfig> targets(Fields fields, Path baseDir) {
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
              DatabaseConfig database = database(target, baseDir, 4);
              int maxConcurrent =
                  target.integer("max_concurrent_audits", 1, 64).map(Long::intValue).orElse(2);
              target.rejectUnknown();
              targets.put(name, new TargetConfig(name, database, maxConcurrent));
            });
    if (targets.isEmpty() && fields.problems().isEmpty()) {
      fields.problem("targets", "is empty: name at least one database to audit");
    }
    return targets;
  }

  private DatabaseConfig database(Fields fields, Path baseDir, int defaultPool) {
    String url = fields.requiredString("url");
    if (url != null && !url.startsWith("jdbc:postgresql:")) {
      fields.problem(
          "url",
          "must be a PostgreSQL JDBC URL like jdbc:postgresql://host:5432/database, found '"
              + Redactor.redact(Fields.abbreviate(url))
              + "'");
    }
    String user = fields.string("user").orElse(null);
    Optional<Secret> password = password(fields, baseDir, url);
    // The password travels separately to the driver, so no pool or driver log can print it.
    String urlWithoutPassword = url == null ? null : withoutPassword(url);
    int poolSize = fields.integer("pool_size", 1, 100).map(Long::intValue).orElse(defaultPool);
    Duration connectTimeout =
        fields
            .duration("connect_timeout", Duration.ofMillis(250), Duration.ofMinutes(5))
            .orElse(Duration.ofSeconds(10));
    return new DatabaseConfig(urlWithoutPassword, user, password, poolSize, connectTimeout);
  }

  private Optional<Secret> password(Fields fields, Path baseDir, String url) {
    if (fields.has("password")) {
      fields.node("password");
      fields.problem(
          "password",
          "passwords are never written in the configuration file; use password_env: VARIABLE"
              + " or password_file: PATH");
      return Optional.empty();
    }
    Optional<String> variable = fields.string("password_env");
    Optional<String> passwordFile = fields.string("password_file");
    if (variable.isPresent() && passwordFile.isPresent()) {
      fields.problem("password_file", "set either password_env or password_file, not both");
      return Optional.empty();
    }
    if (variable.isPresent()) {
      Optional<String> value = environment.get(variable.get());
      if (value.isEmpty()) {
        fields.problem(
            "password_env",
            "environment variable " + variable.get() + " is not set; export it before starting");
        return Optional.empty();
      }
      return Optional.of(Secret.of(value.get(), "environment variable " + variable.get()));
    }
    if (passwordFile.isPresent()) {
      Path path = baseDir.resolve(passwordFile.get());
      try {
        String value = Files.readString(path, StandardCharsets.UTF_8).strip();
        if (value.isEmpty()) {
          fields.problem("password_file", "file " + path + " is empty");
          return Optional.empty();
        }
        return Optional.of(Secret.of(value, "file " + path));
      } catch (IOException e) {
        fields.problem(
            "password_file", "cannot read " + path + " (" + e.getClass().getSimpleName() + ")");
        return Optional.empty();
      }
    }
    if (url != null) {
      Matcher inUrl = URL_PASSWORD.matcher(url);
      if (inUrl.find()) {
        return Optional.of(Secret.of(inUrl.group(1), "the JDBC URL"));
      }
    }
    return Optional.empty();
  }

  private List<Path> auditFiles(Fields fields, Path baseDir, boolean required) {
    List<String> patterns = fields.stringList("audits");
    if (!fields.has("audits")) {
      patterns = List.of("audits/*.yaml");
    }
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
      if (!parameter.toLowerCase(java.util.Locale.ROOT).startsWith("password=")) {
        kept.add(parameter);
      }
    }
    return url.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
  }

  static String defaultNodeId() {
    String host = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("");
    if (host.isBlank()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = "node";
      }
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
