package io.integrityauditor.audit;

import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Fields;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.Node;
import io.integrityauditor.config.Node.ListNode;
import io.integrityauditor.config.Node.MapNode;
import io.integrityauditor.config.Node.ScalarNode;
import io.integrityauditor.config.Problems;
import io.integrityauditor.config.Schedule;
import io.integrityauditor.config.Suggest;
import io.integrityauditor.config.TargetConfig;
import io.integrityauditor.config.TargetTemplate;
import io.integrityauditor.config.YamlTree;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads audit files. A file has optional {@code defaults} (target, schedule, timezone, timeout,
 * lock_timeout, sample_size, severity, threshold, owner) and a list of {@code audits}; each audit
 * may override any default. Ids must be unique across all files. See docs/audits.md. An audit of a
 * template may say how its fleet appears in the metrics ({@code metrics:}, docs/metrics.md).
 */
public final class AuditFileLoader {
  static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}");
  // A team name: it becomes the alerts' `owner` label and an Alertmanager route.
  static final Pattern OWNER = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
  static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
  static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(5);
  static final int DEFAULT_SAMPLE_SIZE = 20;
  public static final int MAX_SAMPLE_SIZE = 1000;

  private final Set<String> targets;
  private final Map<String, AuditKind> kinds = new LinkedHashMap<>();
  private final Map<String, List<String>> tenants;

  /**
   * @param targets the configured target names; with exactly one, it is every audit's default
   * @param kinds the audit kinds ({@code AuditKinds.ALL})
   */
  public AuditFileLoader(Set<String> targets, List<AuditKind> kinds) {
    this(targets, kinds, Map.of());
  }

  /**
   * @param tenants the tenants of each template target: an audit of a template becomes one audit
   *     per tenant ({@code id@tenant} on target {@code template@tenant}), with {@code ${tenant}} in
   *     its values replaced by the tenant's name
   */
  public AuditFileLoader(
      Set<String> targets, List<AuditKind> kinds, Map<String, List<String>> tenants) {
    this.targets = Set.copyOf(targets);
    kinds.forEach(kind -> this.kinds.put(kind.name(), kind));
    this.tenants = Map.copyOf(tenants);
  }

  public AuditSet load(List<Path> files) {
    List<Audit> audits = new ArrayList<>();
    List<ConfigProblem> problems = new ArrayList<>();
    Set<String> invalid = new LinkedHashSet<>();
    Map<String, Location> seenIds = new HashMap<>();
    for (Path file : files) {
      Node root;
      try {
        root = YamlTree.parse(file);
      } catch (ConfigException e) {
        problems.addAll(e.problems());
        continue;
      }
      loadFile(root, audits, problems, invalid, seenIds);
    }
    return new AuditSet(audits, problems, new ArrayList<>(invalid));
  }

  private void loadFile(
      Node root,
      List<Audit> audits,
      List<ConfigProblem> problems,
      Set<String> invalid,
      Map<String, Location> seenIds) {
    Problems fileProblems = new Problems();
    Fields file = Fields.of(root, "", null, fileProblems);
    Defaults defaults = file.map("defaults").map(this::defaults).orElse(Defaults.EMPTY);
    Optional<Node> list = file.node("audits");
    if (list.isEmpty()) {
      file.problem("audits", "is required: a list of audits");
    } else if (!(list.get() instanceof ListNode)) {
      file.problem("audits", "expected a list of audits, found " + list.get().shape());
    }
    file.rejectUnknown();
    problems.addAll(fileProblems.list());
    if (!(list.orElse(null) instanceof ListNode items)) {
      return;
    }
    for (int i = 0; i < items.items().size(); i++) {
      Node item = items.items().get(i);
      String id = declaredId(item);
      Problems auditProblems = new Problems();
      Fields fields = Fields.of(item, "", id, auditProblems);
      List<String> narrowing = fields.has("tenants") ? fields.stringList("tenants") : List.of();
      Optional<Audit> audit = audit(fields, defaults, seenIds, Optional.empty());
      List<String> members = audit.map(a -> tenants.get(a.target())).orElse(null);
      if (members == null && !narrowing.isEmpty() && audit.isPresent()) {
        fields.problem(
            "tenants",
            "narrows the tenants of a template (a target with databases: or schemas:); target "
                + audit.get().target()
                + " is a single database");
      }
      if (members == null && fields.has("metrics") && audit.isPresent()) {
        fields.problem(
            "metrics",
            "sets how the tenants of a template appear in the metrics (per_tenant, worst_tenants);"
                + " target "
                + audit.get().target()
                + " is a single database, whose audit has its own series already: remove it");
      }
      problems.addAll(auditProblems.list());
      if (!auditProblems.isEmpty() || audit.isEmpty()) {
        if (id != null) {
          invalid.add(id);
        }
      } else if (members == null) {
        audits.add(audit.get());
      } else {
        // an audit that never says ${tenant} reads the same for every tenant: read once, copied
        // for the others (reading it again per tenant was most of loading a 10,000-member fleet)
        boolean sameForAll = Node.substitute(item, Map.of("tenant", "")).equals(item);
        Optional<Audit> first = Optional.empty();
        for (String tenant : members) {
          if (narrowing.isEmpty()
              || narrowing.stream().anyMatch(p -> TargetTemplate.matches(p, tenant))) {
            if (first.isPresent()) {
              audits.add(forTenant(first.get(), tenant));
              continue;
            }
            Optional<Audit> member = member(item, defaults, tenant, audits, problems, invalid);
            if (sameForAll) {
              first = member;
            }
          }
        }
      }
    }
  }

  /**
   * The audit for one tenant of its template, read again with {@code ${tenant}} replaced.
   *
   * @return the audit added, empty when it has problems
   */
  private Optional<Audit> member(
      Node item,
      Defaults defaults,
      String tenant,
      List<Audit> audits,
      List<ConfigProblem> problems,
      Set<String> invalid) {
    Node substituted = Node.substitute(item, Map.of("tenant", tenant));
    String id = declaredId(substituted) + TargetConfig.TENANT_SEPARATOR + tenant;
    Problems memberProblems = new Problems();
    Fields fields = Fields.of(substituted, "", id, memberProblems);
    if (fields.has("tenants")) {
      fields.stringList("tenants");
    }
    Optional<Audit> audit = audit(fields, defaults, new HashMap<>(), Optional.of(tenant));
    problems.addAll(memberProblems.list());
    if (memberProblems.isEmpty() && audit.isPresent()) {
      audits.add(audit.get());
      return audit;
    }
    invalid.add(id);
    return Optional.empty();
  }

  /**
   * A tenant's copy of another tenant's audit whose definition does not depend on the tenant: the
   * same definition, with its own id, target and fleet membership.
   */
  private static Audit forTenant(Audit member, String tenant) {
    FleetMember fleet = member.fleet().orElseThrow();
    return member.asMember(
        fleet.audit() + TargetConfig.TENANT_SEPARATOR + tenant,
        TargetConfig.memberName(fleet.template(), tenant),
        new FleetMember(fleet.audit(), fleet.template(), tenant, fleet.metrics()));
  }

  /** The id as written, when it is usable in messages. */
  private static String declaredId(Node item) {
    if (item instanceof MapNode map
        && map.entries().get("id") != null
        && map.entries().get("id").value() instanceof ScalarNode scalar
        && !scalar.isNull()
        && ID.matcher(scalar.text()).matches()) {
      return scalar.text();
    }
    return null;
  }

  /** File-level defaults, all optional. */
  private record Defaults(
      Optional<String> target,
      Optional<String> schedule,
      Optional<String> timeZone,
      Optional<Duration> timeout,
      Optional<Duration> lockTimeout,
      Optional<Integer> sampleSize,
      Optional<Severity> severity,
      Optional<Threshold> threshold,
      Execution execution,
      Optional<String> owner) {
    static final Defaults EMPTY =
        new Defaults(
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            Execution.DEFAULT,
            Optional.empty());
  }

  private Defaults defaults(Fields fields) {
    Defaults defaults =
        new Defaults(
            fields.string("target"),
            fields.string("schedule"),
            fields.string("timezone"),
            timeout(fields, "timeout"),
            timeout(fields, "lock_timeout"),
            sampleSize(fields),
            fields.oneOf("severity", Severity.class),
            fields.map("threshold").map(AuditFileLoader::threshold),
            Execution.defaults(fields),
            owner(fields));
    fields.rejectUnknown();
    return defaults;
  }

  /**
   * @param tenant for a member of a template: its id and target are the template's with the
   *     tenant's name appended
   */
  private Optional<Audit> audit(
      Fields fields, Defaults defaults, Map<String, Location> seenIds, Optional<String> tenant) {
    String id = fields.requiredString("id");
    if (id == null) {
      return Optional.empty();
    }
    if (!ID.matcher(id).matches()) {
      fields.problem(
          "id",
          "ids use letters, digits, '_', '.' and '-' (max 100), starting with a letter or digit");
    }
    Location previous = seenIds.putIfAbsent(id, fields.location());
    if (previous != null) {
      fields.problem(
          "id", "duplicate audit id (first defined at " + previous + "); ids must be unique");
    }
    Optional<String> description = fields.string("description");
    List<String> kindNames = List.copyOf(kinds.keySet());
    Optional<String> kind = fields.oneOf("kind", kindNames);
    if (!fields.has("kind")) {
      fields.problem("kind", "is required: one of " + String.join(", ", kindNames));
    }
    Optional<Schedule> schedule = schedule(fields, defaults);
    Duration timeout = timeout(fields, "timeout").or(defaults::timeout).orElse(DEFAULT_TIMEOUT);
    Duration lockTimeout =
        timeout(fields, "lock_timeout").or(defaults::lockTimeout).orElse(DEFAULT_LOCK_TIMEOUT);
    int sampleSize = sampleSize(fields).or(defaults::sampleSize).orElse(DEFAULT_SAMPLE_SIZE);
    Severity severity =
        fields.oneOf("severity", Severity.class).or(defaults::severity).orElse(Severity.CRITICAL);
    Threshold threshold =
        fields
            .map("threshold")
            .map(AuditFileLoader::threshold)
            .or(defaults::threshold)
            .orElse(Threshold.ANY_VIOLATION);
    Optional<AuditSpec> spec = kind.flatMap(k -> kinds.get(k).parser().apply(fields));
    // a child side's own target overrides the audit's: the audit runs where its child lives
    Optional<String> childTarget =
        spec.flatMap(s -> s.sides().stream().findFirst()).flatMap(TableColumns::target);
    String target = target(fields, defaults, childTarget);
    if (spec.isPresent() && !sideTargetsKnown(fields, spec.get())) {
      spec = Optional.empty();
    }
    Execution execution =
        Execution.parse(fields, defaults.execution(), kind.map(kinds::get), splittableKinds());
    Optional<String> owner = owner(fields).or(defaults::owner);
    FleetMember.Metrics fleetMetrics =
        fields.map("metrics").map(FleetMember.Metrics::parse).orElse(FleetMember.Metrics.DEFAULT);
    if (threshold.needsKeyHistory() && execution.trackKeys() == 0) {
      fields.problem(
          "threshold",
          "max_age and max_new_violations need every violating key tracked across runs: remove"
              + " 'track_keys: 0' or these limits");
    }
    fields.rejectUnknown();
    if (spec.isEmpty() || schedule.isEmpty() || target == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Audit(
            tenant.map(t -> id + TargetConfig.TENANT_SEPARATOR + t).orElse(id),
            description,
            tenant.map(t -> TargetConfig.memberName(target, t)).orElse(target),
            spec.get(),
            schedule.get(),
            timeout,
            lockTimeout,
            sampleSize,
            severity,
            threshold,
            fields.location(),
            fields.seenLocations(),
            execution,
            owner,
            tenant.map(t -> new FleetMember(id, target, t, fleetMetrics))));
  }

  private static Optional<String> owner(Fields fields) {
    Optional<String> owner = fields.string("owner");
    if (owner.isPresent() && !OWNER.matcher(owner.get()).matches()) {
      fields.problem(
          "owner",
          "'"
              + owner.get()
              + "' is not a team name: lower-case letters, digits, '_', '.' and '-' (max 63),"
              + " starting with a letter or digit, e.g. payments-team");
      return Optional.empty();
    }
    return owner;
  }

  /** Checks the {@code target:} written on each side of a reference (reported at that key). */
  private boolean sideTargetsKnown(Fields fields, AuditSpec spec) {
    boolean known = true;
    for (TableColumns side : spec.sides()) {
      if (side.target().isPresent() && !targets.contains(side.target().get())) {
        String keyPath = side.keyPath() + ".target";
        fields
            .problems()
            .add(
                fields.seenLocations().getOrDefault(keyPath, fields.location()),
                fields.auditId(),
                keyPath,
                unknownTarget(side.target().get()));
        known = false;
      }
    }
    return known;
  }

  private String unknownTarget(String written) {
    return "unknown target '"
        + written
        + "'"
        + Suggest.didYouMean(written, targets)
        + "; configured targets: "
        + String.join(", ", targets.stream().sorted().toList());
  }

  /**
   * The audit's target: its child side's own {@code target:} when written (checked at that key by
   * {@link #sideTargetsKnown}), else the audit's or the file's.
   */
  private String target(Fields fields, Defaults defaults, Optional<String> childTarget) {
    Optional<String> written = fields.string("target").or(defaults::target);
    if (childTarget.isPresent()) {
      if (fields.has("target") && !targets.contains(written.orElseThrow())) {
        fields.problem("target", unknownTarget(written.get()));
      }
      return targets.contains(childTarget.get()) ? childTarget.get() : null;
    }
    if (written.isEmpty()) {
      if (targets.size() == 1) {
        return targets.iterator().next();
      }
      fields.problem(
          "target",
          "is required (in the audit or the file's defaults) when several targets are configured:"
              + " one of "
              + String.join(", ", targets.stream().sorted().toList()));
      return null;
    }
    if (!targets.contains(written.get())) {
      fields.problem("target", unknownTarget(written.get()));
      return null;
    }
    return written.get();
  }

  private Optional<Schedule> schedule(Fields fields, Defaults defaults) {
    String zoneText = fields.string("timezone").or(defaults::timeZone).orElse("UTC");
    // read before the zone can fail: a key never read is reported as unknown
    String text = fields.string("schedule").or(defaults::schedule).orElse(Schedule.DEFAULT);
    ZoneId zone;
    try {
      zone = ZoneId.of(zoneText);
    } catch (DateTimeException e) {
      fields.problem(
          "timezone", "unknown time zone '" + zoneText + "'; use e.g. UTC or Europe/Berlin");
      return Optional.empty();
    }
    try {
      return Optional.of(Schedule.parse(text, zone));
    } catch (IllegalArgumentException e) {
      fields.problem("schedule", e.getMessage());
      return Optional.empty();
    }
  }

  private static Optional<Duration> timeout(Fields fields, String key) {
    return fields.duration(key, Duration.ofMillis(100), Duration.ofHours(24));
  }

  private static Optional<Integer> sampleSize(Fields fields) {
    return fields.integer("sample_size", 0, MAX_SAMPLE_SIZE).map(Long::intValue);
  }

  private static Threshold threshold(Fields fields) {
    Threshold threshold =
        new Threshold(
            fields.integer("max_violations", 0, Long.MAX_VALUE),
            fields.decimal("max_ratio", 0.0, 1.0),
            fields.integer("max_new_violations", 0, Long.MAX_VALUE),
            fields.duration("max_age", Duration.ofSeconds(1), Duration.ofDays(3650)));
    fields.rejectUnknown();
    return threshold;
  }

  /** Kinds whose query can run over key ranges of one driving table. */
  private List<String> splittableKinds() {
    return kinds.values().stream().filter(AuditKind::splittable).map(AuditKind::name).toList();
  }
}
