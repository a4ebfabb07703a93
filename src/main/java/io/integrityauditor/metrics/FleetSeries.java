package io.integrityauditor.metrics;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.FleetMember;
import io.integrityauditor.store.LatestResult;
import io.integrityauditor.store.ResultSnapshot;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * The series of the audits written for a template, aggregated over its tenants (docs/metrics.md,
 * "Fleets"): per audit and template a fixed set of {@link #FIXED_SERIES} gauges plus at most {@code
 * worst_tenants} ranks of the tenants with the most violating rows, whatever the number of tenants.
 * The caller ({@link WorkerMetrics}) serialises every method with the rendering.
 */
final class FleetSeries {
  /** The gauges every fleet audit has, besides its worst tenants. */
  static final int FIXED_SERIES = 12;

  private final MeterRegistry registry;

  /** The audits of templates, by audit and template: their members and labels. */
  private Map<FleetKey, Fleet> fleets = Map.of();

  /** The latest figures of every fleet, computed from the store's snapshot. */
  private volatile Map<FleetKey, FleetFigures> figures = Map.of();

  private final Map<FleetKey, Registered> registered = new HashMap<>();

  FleetSeries(MeterRegistry registry) {
    this.registry = registry;
  }

  /** One audit written for one template: the series of its tenants are aggregated under it. */
  record FleetKey(String audit, String template) {}

  /**
   * @param members member audit ids by tenant, sorted by tenant
   * @param interval the longest expected interval of its members' schedules
   */
  private record Fleet(
      Tags tags, Map<String, String> members, Duration interval, FleetMember.Metrics settings) {}

  /** The meters of one fleet: the fixed gauges, and the worst tenants' by rank. */
  private record Registered(Tags tags, List<Meter> fixed, List<String> worst, List<Meter> ranks) {}

  /** A tenant among the worst ones of a fleet. */
  record Worst(String tenant, long violations) {}

  /**
   * What a fleet audit exports (docs/metrics.md). Counts never treat a failed run as clean: a
   * tenant whose latest run failed keeps its latest completed figures, and counts as failing.
   */
  record FleetFigures(
      int tenants,
      int checked,
      int withViolations,
      int breaching,
      int failing,
      double violations,
      double rowsChecked,
      double maxConsecutiveFailures,
      double oldestSuccess,
      double lastRun,
      double intervalSeconds,
      boolean perTenant,
      List<Worst> worst) {}

  /** Whether an audit's own per-audit series are exported: not for a fleet's, unless opted in. */
  static boolean ownSeries(Audit audit) {
    return audit.fleet().map(f -> f.metrics().perTenant()).orElse(true);
  }

  /**
   * Makes the fleets match the scheduled audits; gone fleets lose their series, fleets whose labels
   * changed are registered again.
   */
  void auditsChanged(
      Collection<Audit> active, Function<Audit, Duration> intervalOf, ResultSnapshot snapshot) {
    Map<FleetKey, List<Audit>> byFleet =
        new TreeMap<>(Comparator.comparing(FleetKey::audit).thenComparing(FleetKey::template));
    for (Audit audit : active) {
      audit
          .fleet()
          .ifPresent(
              f ->
                  byFleet
                      .computeIfAbsent(
                          new FleetKey(f.audit(), f.template()), k -> new ArrayList<>())
                      .add(audit));
    }
    Map<FleetKey, Fleet> fresh = new LinkedHashMap<>();
    byFleet.forEach((key, audits) -> fresh.put(key, fleet(key, audits, intervalOf)));
    fleets = fresh;
    for (FleetKey key : new ArrayList<>(registered.keySet())) {
      Fleet fleet = fresh.get(key);
      if (fleet == null || !registered.get(key).tags().equals(fleet.tags())) {
        Registered gone = registered.remove(key);
        gone.fixed().forEach(registry::remove);
        gone.ranks().forEach(registry::remove);
      }
    }
    update(snapshot);
  }

  private static Fleet fleet(
      FleetKey key, List<Audit> audits, Function<Audit, Duration> intervalOf) {
    audits.sort(Comparator.comparing(a -> a.fleet().orElseThrow().tenant()));
    // kind, severity and owner are the same for every tenant unless written with ${tenant}:
    // the first tenant's stand for the fleet, so that its label set stays one
    Audit first = audits.get(0);
    Tags tags =
        Tags.of(
            "audit", key.audit(),
            "template", key.template(),
            "kind", first.kind(),
            "severity", first.severity().label(),
            "owner", first.owner().orElse(""));
    Map<String, String> members = new LinkedHashMap<>();
    Duration interval = Duration.ZERO;
    for (Audit audit : audits) {
      members.put(audit.fleet().orElseThrow().tenant(), audit.id());
      Duration each = intervalOf.apply(audit);
      interval = each.compareTo(interval) > 0 ? each : interval;
    }
    return new Fleet(tags, members, interval, first.fleet().orElseThrow().metrics());
  }

  /** Computes every fleet's figures from a new snapshot; the worst tenants' series follow. */
  void update(ResultSnapshot snapshot) {
    Map<FleetKey, FleetFigures> fresh = new HashMap<>();
    fleets.forEach((key, fleet) -> fresh.put(key, figures(fleet, snapshot)));
    figures = fresh;
    fleets.forEach(
        (key, fleet) -> {
          Registered current = registered.get(key);
          if (current == null) {
            current =
                new Registered(
                    fleet.tags(), registerFixed(key, fleet.tags()), List.of(), List.of());
            registered.put(key, current);
          }
          List<String> worst = fresh.get(key).worst().stream().map(Worst::tenant).toList();
          if (!worst.equals(current.worst())) {
            current.ranks().forEach(registry::remove);
            registered.put(
                key,
                new Registered(
                    current.tags(),
                    current.fixed(),
                    worst,
                    registerRanks(key, fleet.tags(), worst)));
          }
        });
  }

  private static FleetFigures figures(Fleet fleet, ResultSnapshot snapshot) {
    int checked = 0;
    int withViolations = 0;
    int breaching = 0;
    int failing = 0;
    long violations = 0;
    long rowsChecked = 0;
    int maxFailures = -1;
    double oldestSuccess = Double.NaN;
    double lastRun = Double.NaN;
    List<Worst> violating = new ArrayList<>();
    for (Map.Entry<String, String> member : fleet.members().entrySet()) {
      Optional<LatestResult> latest = snapshot.latest(member.getValue());
      // a tenant that never completed a run counts as stale from when it was first scheduled
      double success =
          latest.map(LatestResult::lastSuccessAt).map(WorkerMetrics::seconds).orElse(Double.NaN);
      if (Double.isNaN(success)) {
        Long start = snapshot.scheduleStart().get(member.getValue());
        success = start == null ? Double.NaN : start / 1000.0;
      }
      if (!Double.isNaN(success)) {
        oldestSuccess = Double.isNaN(oldestSuccess) ? success : Math.min(oldestSuccess, success);
      }
      if (latest.isEmpty()) {
        continue;
      }
      LatestResult result = latest.get();
      double finished = WorkerMetrics.seconds(result.finishedAt());
      lastRun = Double.isNaN(lastRun) ? finished : Math.max(lastRun, finished);
      maxFailures = Math.max(maxFailures, result.consecutiveFailures());
      if (!result.status().completed()) {
        failing++;
      }
      if (result.violations() != null) {
        checked++;
        violations += result.violations();
        rowsChecked += result.rowsChecked() == null ? 0 : result.rowsChecked();
        if (result.violations() > 0) {
          withViolations++;
          violating.add(new Worst(member.getKey(), result.violations()));
        }
        if (Boolean.TRUE.equals(result.thresholdBreached())) {
          breaching++;
        }
      }
    }
    // ties by tenant name: every node ranks the same tenants the same way
    violating.sort(
        Comparator.comparingLong(Worst::violations).reversed().thenComparing(Worst::tenant));
    return new FleetFigures(
        fleet.members().size(),
        checked,
        withViolations,
        breaching,
        failing,
        checked == 0 ? Double.NaN : violations,
        checked == 0 ? Double.NaN : rowsChecked,
        maxFailures < 0 ? Double.NaN : maxFailures,
        oldestSuccess,
        lastRun,
        fleet.interval().toMillis() / 1000.0,
        fleet.settings().perTenant(),
        List.copyOf(
            violating.subList(0, Math.min(violating.size(), fleet.settings().worstTenants()))));
  }

  private List<Meter> registerFixed(FleetKey key, Tags tags) {
    List<Meter> meters = new ArrayList<>();
    meters.add(gauge("tenants", "Tenants the audit applies to", key, tags, f -> f.tenants()));
    meters.add(
        gauge(
            "tenants_checked",
            "Tenants with a completed run of the audit (their counts are known)",
            key,
            tags,
            f -> f.checked()));
    meters.add(
        gauge(
            "tenants_with_violations",
            "Tenants whose latest completed run found violating rows",
            key,
            tags,
            f -> f.withViolations()));
    meters.add(
        gauge(
            "tenants_breaching",
            "Tenants whose latest completed run breached the audit's threshold",
            key,
            tags,
            f -> f.breaching()));
    meters.add(
        gauge(
            "tenants_failing",
            "Tenants whose latest run ended error, timeout or interrupted (never counted as clean)",
            key,
            tags,
            f -> f.failing()));
    meters.add(
        gauge(
            "violations",
            "Violating rows of the latest completed runs of every tenant, summed (NaN before any)",
            key,
            tags,
            FleetFigures::violations));
    meters.add(
        gauge(
            "rows_checked",
            "Rows examined by the latest completed runs of every tenant, summed",
            key,
            tags,
            FleetFigures::rowsChecked));
    meters.add(
        gauge(
            "max_consecutive_failures",
            "The most runs in a row that did not complete, among the tenants",
            key,
            tags,
            FleetFigures::maxConsecutiveFailures));
    meters.add(
        gauge(
            "oldest_success_timestamp_seconds",
            "Unix time of the least recent completed run among the tenants (a tenant that never"
                + " completed one: when it was first scheduled)",
            key,
            tags,
            FleetFigures::oldestSuccess));
    meters.add(
        gauge(
            "last_run_timestamp_seconds",
            "Unix time the latest run (any status) of any tenant finished",
            key,
            tags,
            FleetFigures::lastRun));
    meters.add(
        gauge(
            "expected_interval_seconds",
            "Time between two scheduled runs of each tenant",
            key,
            tags,
            FleetFigures::intervalSeconds));
    meters.add(
        gauge(
            "per_tenant_series",
            "1 when the audit's tenants also export their own per-audit series (metrics:"
                + " {per_tenant: true}), else 0",
            key,
            tags,
            f -> f.perTenant() ? 1 : 0));
    return meters;
  }

  private List<Meter> registerRanks(FleetKey key, Tags tags, List<String> worst) {
    List<Meter> meters = new ArrayList<>();
    for (int i = 0; i < worst.size(); i++) {
      int rank = i;
      meters.add(
          gauge(
              "worst_violations",
              "Violating rows of the tenants with the most of them (rank 1 = most), at most"
                  + " worst_tenants ranks",
              key,
              tags.and("rank", String.valueOf(rank + 1), "tenant", worst.get(rank)),
              f -> f.worst().size() > rank ? f.worst().get(rank).violations() : Double.NaN));
    }
    return meters;
  }

  private Gauge gauge(
      String name,
      String description,
      FleetKey key,
      Tags tags,
      ToDoubleFunction<FleetFigures> value) {
    return Gauge.builder(
            WorkerMetrics.PREFIX + "fleet_" + name,
            this,
            s -> {
              FleetFigures figures = s.figures.get(key);
              return figures == null ? Double.NaN : value.applyAsDouble(figures);
            })
        .tags(tags)
        .description(description)
        .register(registry);
  }
}
