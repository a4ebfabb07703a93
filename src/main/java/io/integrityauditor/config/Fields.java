package io.integrityauditor.config;

import io.integrityauditor.config.Node.Entry;
import io.integrityauditor.config.Node.ListNode;
import io.integrityauditor.config.Node.MapNode;
import io.integrityauditor.config.Node.ScalarNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Typed, located reads from one YAML mapping. Every wrong value becomes a {@link ConfigProblem}
 * (collected, not thrown) naming the file, line, audit and dotted key; {@link #rejectUnknown()}
 * turns keys nobody asked for into problems, with a suggestion.
 *
 * <p>When an {@link Environment} is given, a key can be overridden by the environment variable
 * {@code INTEGRITY_AUDITOR_<PATH>} (twelve-factor), e.g. {@code targets.apms.url} by {@code
 * INTEGRITY_AUDITOR_TARGETS_APMS_URL}.
 */
public final class Fields {
  /** Longest string value accepted anywhere in configuration. */
  static final int MAX_STRING_LENGTH = 64 * 1024;

  private final Map<String, Entry> entries;
  private final Location location;
  private final String path;
  private final String auditId;
  private final Problems problems;
  private final Environment environment;
  private final Set<String> read = new HashSet<>();
  // the nested mappings read through map(), by key: a key unknown here but known in one of them
  // was indented too little (a child's where written at the audit's level)
  private final Map<String, Fields> nested = new LinkedHashMap<>();
  // the keys written in a short form (`parent: accounts.id`) whose mapping form takes more keys
  // (where, target): a filter written next to one belongs inside it
  private final Map<String, Shorthand> shorthands = new LinkedHashMap<>();

  /** A key written as {@code table.column}, and the keys its mapping form would take. */
  private record Shorthand(String table, String columns, Set<String> mappingKeys) {}

  /** Locations of every key read through this reader and its nested readers, by key path. */
  private final Map<String, Location> seen;

  private Fields(
      Map<String, Entry> entries,
      Location location,
      String path,
      String auditId,
      Problems problems,
      Environment environment,
      Map<String, Location> seen) {
    this.entries = entries;
    this.seen = seen;
    this.location = location;
    this.path = path;
    this.auditId = auditId;
    this.problems = problems;
    this.environment = environment;
  }

  /** Reads {@code node} as a mapping; a non-mapping is reported and read as empty. */
  public static Fields of(
      Node node, String path, String auditId, Problems problems, Environment environment) {
    return of(node, path, auditId, problems, environment, new LinkedHashMap<>());
  }

  private static Fields of(
      Node node,
      String path,
      String auditId,
      Problems problems,
      Environment environment,
      Map<String, Location> seen) {
    if (node instanceof MapNode map) {
      return new Fields(map.entries(), map.location(), path, auditId, problems, environment, seen);
    }
    if (!(node instanceof ScalarNode scalar && scalar.isNull())) {
      problems.add(
          node.location(),
          auditId,
          path.isEmpty() ? null : path,
          "expected a mapping of keys, found " + node.shape());
    }
    return new Fields(Map.of(), node.location(), path, auditId, problems, environment, seen);
  }

  public static Fields of(Node node, String path, String auditId, Problems problems) {
    return of(node, path, auditId, problems, Environment.NONE);
  }

  public Location location() {
    return location;
  }

  public String auditId() {
    return auditId;
  }

  public Problems problems() {
    return problems;
  }

  /** Where each key read so far (here and in nested readers) was written, by key path. */
  public Map<String, Location> seenLocations() {
    return Map.copyOf(seen);
  }

  public boolean has(String key) {
    return entries.containsKey(key) || fromEnvironment(key).isPresent();
  }

  /** Whether {@code key} is written in the file itself (not only set by the environment). */
  boolean writtenInFile(String key) {
    return entries.containsKey(key);
  }

  /** Where {@code key} was written, or where this mapping starts when it is absent. */
  public Location locationOf(String key) {
    Entry entry = entries.get(key);
    return entry == null ? location : entry.keyLocation();
  }

  /** The dotted path of {@code key} within the file, as shown in messages. */
  public String keyPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  public void problem(String key, String message) {
    problems.add(locationOf(key), auditId, key == null ? null : keyPath(key), message);
  }

  /** A problem about this mapping as a whole. */
  public void problem(String message) {
    problems.add(location, auditId, path.isEmpty() ? null : path, message);
  }

  public Optional<Node> node(String key) {
    read.add(key);
    Entry entry = entries.get(key);
    if (entry != null) {
      seen.put(keyPath(key), entry.keyLocation());
    }
    if (entry == null || (entry.value() instanceof ScalarNode s && s.isNull())) {
      return Optional.empty();
    }
    return Optional.of(entry.value());
  }

  /**
   * The environment's value of {@code key}; none without an environment (audit files), where naming
   * the variable of every key read would be most of reading ten thousand fleet audits.
   */
  private Optional<String> fromEnvironment(String key) {
    return environment == Environment.NONE ? Optional.empty() : environment.get(envName(key));
  }

  /** A scalar as text (numbers and booleans as written). */
  public Optional<String> string(String key) {
    read.add(key);
    Optional<String> fromEnvironment = fromEnvironment(key);
    if (fromEnvironment.isPresent()) {
      return fromEnvironment;
    }
    return node(key).flatMap(node -> scalarText(key, node));
  }

  public String requiredString(String key) {
    Optional<String> value = string(key);
    if (value.isEmpty() && !hasProblemAt(key)) {
      problem(key, "is required" + requiredHint(key));
    }
    return value.orElse(null);
  }

  public Optional<Long> integer(String key, long min, long max) {
    return string(key)
        .flatMap(
            text -> {
              try {
                long value = Long.parseLong(text.replace("_", ""));
                if (value < min || value > max) {
                  problem(key, "must be between " + min + " and " + max + ", found " + value);
                  return Optional.empty();
                }
                return Optional.of(value);
              } catch (NumberFormatException e) {
                problem(key, "expected a whole number, found '" + abbreviate(text) + "'");
                return Optional.empty();
              }
            });
  }

  public Optional<Double> decimal(String key, double min, double max) {
    return string(key)
        .flatMap(
            text -> {
              try {
                double value = Double.parseDouble(text);
                if (!(value >= min && value <= max)) {
                  problem(key, "must be between " + min + " and " + max + ", found " + text);
                  return Optional.empty();
                }
                return Optional.of(value);
              } catch (NumberFormatException e) {
                problem(key, "expected a number, found '" + abbreviate(text) + "'");
                return Optional.empty();
              }
            });
  }

  public Optional<Boolean> bool(String key) {
    return string(key)
        .flatMap(
            text ->
                switch (text.toLowerCase(Locale.ROOT)) {
                  case "true", "yes", "on" -> Optional.of(true);
                  case "false", "no", "off" -> Optional.of(false);
                  default -> {
                    problem(key, "expected true or false, found '" + abbreviate(text) + "'");
                    yield Optional.empty();
                  }
                });
  }

  /** {@code 90s}, {@code 5m}, {@code 1h30m}, {@code 250ms}, ISO-8601 {@code PT5M}, or seconds. */
  public Optional<Duration> duration(String key, Duration min, Duration max) {
    return string(key)
        .flatMap(
            text -> {
              Optional<Duration> parsed = Durations.parse(text);
              if (parsed.isEmpty()) {
                problem(
                    key,
                    "expected a duration like 30s, 5m, 1h30m or 250ms, found '"
                        + abbreviate(text)
                        + "'");
              } else if (parsed.get().compareTo(min) < 0 || parsed.get().compareTo(max) > 0) {
                problem(
                    key,
                    "must be between "
                        + Durations.format(min)
                        + " and "
                        + Durations.format(max)
                        + ", found "
                        + abbreviate(text));
                return Optional.empty();
              }
              return parsed;
            });
  }

  /** One of {@code allowed} (case-insensitive), returned in its canonical spelling. */
  public Optional<String> oneOf(String key, List<String> allowed) {
    return string(key)
        .flatMap(
            text -> {
              for (String candidate : allowed) {
                if (candidate.equalsIgnoreCase(text)) {
                  return Optional.of(candidate);
                }
              }
              problem(
                  key,
                  "must be one of "
                      + String.join(", ", allowed)
                      + ", found '"
                      + abbreviate(text)
                      + "'"
                      + Suggest.didYouMean(text, allowed));
              return Optional.empty();
            });
  }

  /**
   * One of an enum's constants, written in files as its lower-case name (case-insensitive); any
   * other value is a problem naming the allowed ones.
   */
  public <E extends Enum<E>> Optional<E> oneOf(String key, Class<E> type) {
    return oneOf(key, labels(type))
        .map(label -> Enum.valueOf(type, label.toUpperCase(Locale.ROOT)));
  }

  /** How files write an enum's constants: their lower-case names, in declaration order. */
  public static <E extends Enum<E>> List<String> labels(Class<E> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(constant -> constant.name().toLowerCase(Locale.ROOT))
        .toList();
  }

  /** A list of strings; a single scalar is read as a list of one. */
  public List<String> stringList(String key) {
    Optional<Node> value = node(key);
    if (value.isEmpty()) {
      return List.of();
    }
    List<String> strings = new ArrayList<>();
    if (value.get() instanceof ListNode list) {
      for (Node item : list.items()) {
        scalarText(key, item).ifPresent(strings::add);
      }
    } else {
      scalarText(key, value.get()).ifPresent(strings::add);
    }
    return strings;
  }

  /** A nested mapping. */
  public Optional<Fields> map(String key) {
    Optional<Fields> map =
        node(key).map(node -> Fields.of(node, keyPath(key), auditId, problems, environment, seen));
    map.ifPresent(fields -> nested.put(key, fields));
    return map;
  }

  /** Nested mappings written as a list. */
  public List<Fields> mapList(String key) {
    Optional<Node> value = node(key);
    if (value.isEmpty()) {
      return List.of();
    }
    if (!(value.get() instanceof ListNode list)) {
      problem(key, "expected a list, found " + value.get().shape());
      return List.of();
    }
    List<Fields> items = new ArrayList<>();
    for (int i = 0; i < list.items().size(); i++) {
      items.add(
          Fields.of(
              list.items().get(i),
              keyPath(key) + "[" + i + "]",
              auditId,
              problems,
              environment,
              seen));
    }
    return items;
  }

  /** The keys of this mapping with their raw nodes, in file order (for free-form maps). */
  public Map<String, Entry> entries() {
    read.addAll(entries.keySet());
    return new LinkedHashMap<>(entries);
  }

  /**
   * Records that {@code key} was written as {@code table.column}, a short form of a mapping that
   * takes {@code mappingKeys} too, so that one of them written next to it says how to write it.
   */
  public void shorthand(String key, String table, String columns, Set<String> mappingKeys) {
    shorthands.put(key, new Shorthand(table, columns, Set.copyOf(mappingKeys)));
  }

  /** Reports every key that was not read, with the closest known key. */
  public void rejectUnknown() {
    List<String> known = new ArrayList<>(read);
    known.sort(null);
    for (Entry entry : entries.values()) {
      if (!read.contains(entry.key())) {
        problems.add(
            entry.keyLocation(),
            auditId,
            keyPath(entry.key()),
            "unknown key"
                + indentedTooLittle(entry.key())
                    .orElseGet(() -> Suggest.didYouMean(entry.key(), known))
                + "; known keys here: "
                + String.join(", ", known));
      }
    }
  }

  /** Where an unknown key belongs when a nested mapping of this one knows it. */
  private Optional<String> indentedTooLittle(String key) {
    List<String> owners =
        nested.entrySet().stream()
            .filter(section -> section.getValue().read.contains(key))
            .map(Map.Entry::getKey)
            .toList();
    if (owners.isEmpty()) {
      return writtenShort(key);
    }
    return Optional.of(
        " at this level; it is a key of "
            + String.join(" and ", owners)
            + ": indent it under "
            + (owners.size() == 1 ? owners.get(0) : "the one it belongs to")
            + " (two more spaces)");
  }

  /** Where an unknown key belongs when a key written as table.column would take it. */
  private Optional<String> writtenShort(String key) {
    List<String> owners =
        shorthands.entrySet().stream()
            .filter(side -> side.getValue().mappingKeys().contains(key))
            .map(Map.Entry::getKey)
            .toList();
    if (owners.isEmpty()) {
      return Optional.empty();
    }
    String side = owners.get(owners.size() - 1);
    Shorthand written = shorthands.get(side);
    return Optional.of(
        " at this level; it is a key of "
            + String.join(" and ", owners)
            + ", written here as table.column: write the side it "
            + (key.equals("where") ? "filters" : "belongs to")
            + " as a mapping, e.g. "
            + side
            + ": {table: "
            + written.table()
            + ", columns: ["
            + written.columns()
            + "], "
            + key
            + ": "
            + (key.equals("where") ? "{...}" : "...")
            + "}");
  }

  private Optional<String> scalarText(String key, Node node) {
    if (node instanceof ScalarNode scalar) {
      if (scalar.isNull()) {
        return Optional.empty();
      }
      if (scalar.text().length() > MAX_STRING_LENGTH) {
        problems.add(
            node.location(),
            auditId,
            keyPath(key),
            "value is longer than " + MAX_STRING_LENGTH + " characters");
        return Optional.empty();
      }
      return Optional.of(scalar.text());
    }
    problems.add(node.location(), auditId, keyPath(key), "expected a value, found " + node.shape());
    return Optional.empty();
  }

  private boolean hasProblemAt(String key) {
    String fullKey = keyPath(key);
    return problems.list().stream().anyMatch(p -> fullKey.equals(p.key()));
  }

  private String requiredHint(String key) {
    return environment == Environment.NONE
        ? ""
        : " (or set the environment variable " + envName(key) + ")";
  }

  /** The environment variable that overrides {@code key}. */
  String envName(String key) {
    return "INTEGRITY_AUDITOR_"
        + NOT_IN_ENV_NAME.matcher(keyPath(key).toUpperCase(Locale.ROOT)).replaceAll("_");
  }

  private static final Pattern NOT_IN_ENV_NAME = Pattern.compile("[^A-Z0-9]+");

  static String abbreviate(String text) {
    String oneLine = text.replaceAll("[\\r\\n\\t]", " ");
    return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 77) + "...";
  }
}
