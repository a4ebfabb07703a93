package io.integrityauditor.metrics;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.Severity;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.Schedule;
import io.integrityauditor.run.RunInfo;
import io.integrityauditor.run.RunStatus;
import io.integrityauditor.schedule.QuartzTriggers;
import io.integrityauditor.store.AlertStore;
import io.integrityauditor.store.LatestResult;
import io.integrityauditor.store.ResultSnapshot;
import io.integrityauditor.store.SkipReason;
import io.integrityauditor.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Info;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's Prometheus metrics; names and meaning in docs/metrics.md. Audit values come from a
 * {@link ResultSnapshot} of the store, refreshed by {@link #refresh()} in the background; gauges
 * read only that snapshot, so a scrape is fast and answers while the store is down (then {@code
 * integrity_audit_store_up} is 0 and the last known values stay).
 */
public final class WorkerMetrics {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerMetrics.class);
  static final String PREFIX = "integrity_audit_";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Store store;
  private final AlertStore alerts;
  private final AtomicReference<ResultSnapshot> snapshot =
      new AtomicReference<>(ResultSnapshot.EMPTY);
  private volatile double storeUp = Double.NaN;

  /** {@link System#nanoTime()} of the latest successful read of the store; 0 before the first. */
  private volatile long lastReadNanos;

  private final Map<String, Double> targetUp = new ConcurrentHashMap<>();
  private final Map<String, Double> targetAuthenticationFailed = new ConcurrentHashMap<>();
  private final Map<String, AuditSeries> audits = new HashMap<>();
  private final FleetSeries fleets = new FleetSeries(registry);
  private final AtomicInteger configErrors = new AtomicInteger();
  private final AtomicInteger auditCount = new AtomicInteger();
  private final Counter cleanReloads;
  private final Counter reloadsWithProblems;
  private final Info auditFilesInfo;
  private volatile String auditFilesFingerprint;
  private final AtomicLong undefinedAuditFires = new AtomicLong();

  /** The meters of one audit, and the labels they were registered with. */
  private record AuditSeries(Tags tags, List<Meter> meters) {}

  public WorkerMetrics(Store store, AlertStore alerts, String version, Collection<String> targets) {
    this.store = store;
    this.alerts = alerts;
    // Micrometer strips an "_info" suffix from gauge names; Prometheus' own Info type keeps it.
    Info.builder()
        .name(PREFIX + "build_info")
        .help("Build information; always 1")
        .labelNames("version")
        .register(registry.getPrometheusRegistry())
        .setLabelValues(version);
    auditFilesInfo =
        Info.builder()
            .name(PREFIX + "audit_files")
            .help(
                "What this node's audit files schedule (a hash of every audit's id, schedule and"
                    + " definition); always 1. Every node of a cluster should show the same"
                    + " fingerprint")
            .labelNames("fingerprint")
            .register(registry.getPrometheusRegistry());
    FunctionCounter.builder(
            PREFIX + "undefined_audit_fires", undefinedAuditFires, AtomicLong::doubleValue)
        .description(
            "Fire times given to this node for audits its audit files do not define; each is a"
                + " run lost (the nodes load different audit files)")
        .register(registry);
    Gauge.builder(PREFIX + "store_up", this, m -> m.storeUp)
        .description("1 when the latest read of the store succeeded, else 0")
        .register(registry);
    Gauge.builder(PREFIX + "config_errors", configErrors, AtomicInteger::get)
        .description("Problems found by the latest load of the audit files (0 = clean)")
        .register(registry);
    Gauge.builder(PREFIX + "audits", auditCount, AtomicInteger::get)
        .description("Audits scheduled")
        .register(registry);
    cleanReloads =
        Counter.builder(PREFIX + "config_reloads")
            .tags("result", "clean")
            .description("Loads of the audit files, by result")
            .register(registry);
    reloadsWithProblems =
        Counter.builder(PREFIX + "config_reloads")
            .tags("result", "problems")
            .description("Loads of the audit files, by result")
            .register(registry);
    for (String severity : Severity.NAMES) {
      Gauge.builder(PREFIX + "alerts_open", this, m -> m.openAlerts(severity, 0))
          .tags("severity", severity)
          .description("Open alert records")
          .register(registry);
      Gauge.builder(PREFIX + "alerts_open_unacknowledged", this, m -> m.openAlerts(severity, 1))
          .tags("severity", severity)
          .description("Open alert records nobody acknowledged yet")
          .register(registry);
    }
    for (String target : targets) {
      targetUp.put(target, Double.NaN);
      Gauge.builder(PREFIX + "target_up", this, m -> m.targetUp.getOrDefault(target, Double.NaN))
          .tags("target", target)
          .description("1 when the target answered its latest probe, else 0")
          .register(registry);
      targetAuthenticationFailed.put(target, Double.NaN);
      Gauge.builder(
              PREFIX + "target_authentication_failed",
              this,
              m -> m.targetAuthenticationFailed.getOrDefault(target, Double.NaN))
          .tags("target", target)
          .description(
              "1 when the target refused the worker's role or password at its latest probe"
                  + " (a down target is 0: see target_up)")
          .register(registry);
    }
  }

  /**
   * Where on-call's browser reaches this node's pages ({@code http.external_url}), exported as
   * {@code integrity_audit_pages_info{url}} so that the shipped alert rules can link to them.
   */
  public void pagesAt(String url) {
    Info.builder()
        .name(PREFIX + "pages_info")
        .help("Where the on-call pages of this node are reached (http.external_url); always 1")
        .labelNames("url")
        .register(registry.getPrometheusRegistry())
        .setLabelValues(url);
  }

  /**
   * This node's clock against the store's, and the misfire threshold it matters against: {@code
   * integrity_audit_node_clock_offset_seconds} (this node's clock minus the store's, NaN until
   * measured) and {@code integrity_audit_misfire_threshold_seconds}. Unlike the audit series they
   * are this node's own: each node exports its offset.
   *
   * @param aheadMillis this node's clock minus the store's, in milliseconds, as last measured
   */
  public void schedulerClock(Supplier<OptionalLong> aheadMillis, Duration misfireThreshold) {
    Gauge.builder(
            PREFIX + "node_clock_offset_seconds",
            () -> {
              OptionalLong millis = aheadMillis.get();
              return millis.isPresent() ? millis.getAsLong() / 1000.0 : Double.NaN;
            })
        .description(
            "This node's clock minus the store's (positive: ahead), measured at its latest"
                + " check-in")
        .register(registry);
    Gauge.builder(PREFIX + "misfire_threshold_seconds", () -> misfireThreshold.toMillis() / 1000.0)
        .description("scheduler.misfire_threshold: how late a fire time may be taken")
        .register(registry);
  }

  /**
   * What this node's audit files schedule, as {@code integrity_audit_audit_files_info{fingerprint}}
   * (a hash of every active audit's id, schedule and definition): every node of a cluster should
   * show the same value, and the alert {@code IntegrityAuditNodesDisagree} fires when they do not.
   */
  public void auditFiles(String fingerprint) {
    if (!fingerprint.equals(auditFilesFingerprint)) {
      auditFilesFingerprint = fingerprint;
      auditFilesInfo.setLabelValues(fingerprint);
      changed();
    }
  }

  /**
   * Counts a fire time Quartz gave this node for an audit it does not define (its audit files
   * differ from those of the node that scheduled it): a run that did not happen anywhere.
   */
  public void undefinedAuditFired() {
    undefinedAuditFires.incrementAndGet();
    changed();
  }

  /** Reads the store into a new snapshot; on failure keeps the old one and marks the store down. */
  public void refresh() {
    refresh(true);
  }

  /**
   * @param render render the exposition now (the background refresh), or leave it to the next
   *     scrape or refresh (start-up: readiness does not wait for a first rendering)
   */
  public void refresh(boolean render) {
    try {
      ResultSnapshot fresh = ResultSnapshot.read(store, alerts, QuartzTriggers.startTimes(store));
      boolean same = fresh.sameResultsAs(snapshot.get()) && storeUp == 1;
      snapshot.set(fresh);
      lastReadNanos = System.nanoTime();
      storeUp = 1;
      if (!same) {
        fleetsRead(fresh);
        changed();
      }
    } catch (RuntimeException e) {
      if (storeUp != 0) {
        LOG.warn("cannot read results from the store: {}", Redactor.redact(e.getMessage()));
        changed();
      }
      storeUp = 0;
    }
    if (render && dirty) {
      publish();
    }
  }

  /**
   * Whether the latest read of the store succeeded (the background refresh, every few seconds);
   * empty before the first read. Never waits for the store: readiness answers from it.
   */
  public Optional<Boolean> storeUp() {
    double up = storeUp;
    return Double.isNaN(up) ? Optional.empty() : Optional.of(up == 1);
  }

  private synchronized void fleetsRead(ResultSnapshot fresh) {
    fleets.update(fresh);
  }

  /**
   * @param failureClass the error class of a failed probe ({@code authentication}, {@code
   *     connection}...), empty when the target answered
   */
  public void targetProbed(String target, Optional<String> failureClass) {
    targetUp.put(target, failureClass.isEmpty() ? 1.0 : 0.0);
    targetAuthenticationFailed.put(
        target, failureClass.filter("authentication"::equals).isPresent() ? 1.0 : 0.0);
    changed();
  }

  public void reloaded(int problems) {
    configErrors.set(problems);
    (problems == 0 ? cleanReloads : reloadsWithProblems).increment();
    changed();
  }

  /**
   * Makes the per-audit series match the scheduled audits: every audit has its series from the
   * start (NaN until it ran); removed audits lose theirs; changed labels are re-registered. The
   * audits of a template have their fleet's aggregated series instead, and their own only when they
   * opt in ({@code metrics: {per_tenant: true}}).
   */
  public synchronized void auditsChanged(
      Collection<Audit> active, Function<Audit, Schedule> scheduleOf) {
    auditCount.set(active.size());
    changed();
    // computed once per distinct schedule: parsing the same cron expression for each of a
    // thousand audits was a visible part of a node's start
    Map<Schedule, Duration> intervals = new HashMap<>();
    Function<Audit, Duration> intervalOf =
        audit -> intervals.computeIfAbsent(scheduleOf.apply(audit), Schedule::expectedInterval);
    fleets.auditsChanged(active, intervalOf, snapshot.get());
    Map<String, Audit> byId = new HashMap<>();
    active.stream().filter(FleetSeries::ownSeries).forEach(a -> byId.put(a.id(), a));
    for (String id : new ArrayList<>(audits.keySet())) {
      Audit audit = byId.get(id);
      if (audit == null || !audits.get(id).tags().equals(tags(audit))) {
        audits.remove(id).meters().forEach(registry::remove);
      }
    }
    for (Audit audit : byId.values()) {
      if (!audits.containsKey(audit.id())) {
        audits.put(audit.id(), register(audit, intervalOf.apply(audit)));
      }
    }
  }

  private static Tags tags(Audit audit) {
    // Every series of a metric needs the same label names: an audit nobody owns has owner=""
    // (which Prometheus treats as no owner label at all).
    return Tags.of(
        "audit", audit.id(),
        "target", audit.target(),
        "kind", audit.kind(),
        "severity", audit.severity().label(),
        "owner", audit.owner().orElse(""));
  }

  private AuditSeries register(Audit audit, Duration interval) {
    String id = audit.id();
    Tags tags = tags(audit);
    List<Meter> meters = new ArrayList<>();
    meters.add(
        gauge(
            "violations",
            "Violating rows found by the latest completed run",
            tags,
            id,
            r -> number(r.violations())));
    meters.add(
        gauge(
            "rows_checked",
            "Rows examined by the latest completed run",
            tags,
            id,
            r -> number(r.rowsChecked())));
    meters.add(
        gauge(
            "violation_ratio",
            "Violations / rows checked of the latest completed run (0 when no rows)",
            tags,
            id,
            r ->
                r.violations() == null
                    ? Double.NaN
                    : r.rowsChecked() == 0 ? 0 : (double) r.violations() / r.rowsChecked()));
    meters.add(
        gauge(
            "new_violations",
            "Violating rows of the latest completed run that were not violating in the completed run"
                + " before it (every key tracked; NaN when unknown: first run, over track_keys)",
            tags,
            id,
            r -> number(r.newViolations())));
    meters.add(
        gauge(
            "gone_violations",
            "Rows violating in the completed run before the latest one but no longer (NaN when"
                + " unknown)",
            tags,
            id,
            r -> number(r.goneViolations())));
    meters.add(
        gauge(
            "baseline_violations",
            "Violating rows of the latest completed run whose key is in the audit's baseline"
                + " (accepted backlog; NaN when keys are not tracked)",
            tags,
            id,
            r -> number(r.baselineViolations())));
    meters.add(
        gauge(
            "oldest_violation_age_seconds",
            "How long the oldest violating row had been violating when the latest completed run"
                + " started (0 without violations; NaN when keys are not tracked)",
            tags,
            id,
            r ->
                r.oldestViolationAgeSeconds() == null
                    ? Double.NaN
                    : r.oldestViolationAgeSeconds()));
    for (int i = 0; i < LatestResult.OLDER_THAN.size(); i++) {
      int bucket = i;
      meters.add(
          gauge(
              "violations_older_than",
              "Violating rows of the latest completed run that had been violating for at least"
                  + " 'age' when it started (NaN when keys are not tracked)",
              tags.and("age", LatestResult.OLDER_THAN.get(i)),
              id,
              r ->
                  r.violationsOlderThan() == null
                      ? Double.NaN
                      : r.violationsOlderThan().get(bucket)));
    }
    meters.add(
        gauge(
            "threshold_breached",
            "1 when the latest completed run breached the audit's threshold, else 0",
            tags,
            id,
            r -> r.thresholdBreached() == null ? Double.NaN : r.thresholdBreached() ? 1 : 0));
    meters.add(
        gauge(
            "last_run_timestamp_seconds",
            "Unix time the latest run (any status) finished",
            tags,
            id,
            r -> seconds(r.finishedAt())));
    meters.add(
        gauge(
            "last_success_timestamp_seconds",
            "Unix time the latest completed run (ok or violations) finished",
            tags,
            id,
            r -> seconds(r.lastSuccessAt())));
    meters.add(
        gauge(
            "last_run_duration_seconds",
            "How long the latest run took",
            tags,
            id,
            r -> r.durationMs() == null ? Double.NaN : r.durationMs() / 1000.0));
    meters.add(
        gauge(
            "last_full_check_timestamp_seconds",
            "Unix time the latest completed run that read every row (full or chunked) finished",
            tags,
            id,
            r -> seconds(r.lastFullSuccessAt())));
    for (RunInfo.Mode mode : RunInfo.Mode.values()) {
      meters.add(
          gauge(
              "last_run_mode",
              "1 for the execution mode of the latest run (full, chunked or incremental), else 0",
              tags.and("mode", mode.label()),
              id,
              r -> r.mode() == null ? Double.NaN : r.mode() == mode ? 1 : 0));
    }
    meters.add(
        gauge(
            "last_run_failed",
            "1 when the latest run ended error, timeout or interrupted, else 0",
            tags,
            id,
            r -> r.status().completed() ? 0 : 1));
    meters.add(
        gauge(
            "consecutive_failures",
            "Runs that did not complete since the latest one that did",
            tags,
            id,
            r -> r.consecutiveFailures()));
    meters.add(
        Gauge.builder(PREFIX + "expected_interval_seconds", () -> interval.toMillis() / 1000.0)
            .tags(tags)
            .description("Time between two scheduled runs of the audit")
            .register(registry));
    meters.add(
        Gauge.builder(
                PREFIX + "schedule_start_timestamp_seconds",
                this,
                m -> {
                  Long start = m.snapshot.get().scheduleStart().get(id);
                  return start == null ? Double.NaN : start / 1000.0;
                })
            .tags(tags)
            .description("Unix time the audit was first scheduled in this cluster")
            .register(registry));
    // The alert rules turn it into a link to the record (/api/alerts/{id}) in the notification.
    meters.add(
        Gauge.builder(
                PREFIX + "open_alert_id",
                this,
                m -> {
                  Long alertId = m.snapshot.get().openAlertIds().get(id);
                  return alertId == null ? Double.NaN : alertId;
                })
            .tags(tags)
            .description("Id of the audit's open alert record (NaN when it has none)")
            .register(registry));
    for (RunStatus status : RunStatus.values()) {
      meters.add(
          FunctionCounter.builder(PREFIX + "runs", this, m -> m.snapshot.get().total(id, status))
              .tags(tags.and("status", status.label()))
              .description("Runs of the audit by final status")
              .register(registry));
    }
    for (SkipReason reason : SkipReason.values()) {
      meters.add(
          FunctionCounter.builder(
                  PREFIX + "skipped_runs", this, m -> m.snapshot.get().skipped(id, reason))
              .tags(tags.and("reason", reason.label()))
              .description(
                  "Scheduled fire times of the audit that were not run, by reason (overrun: it came"
                      + " while the previous run was still going; lease_held: it fired while another"
                      + " node held the audit's lease; misfire: no node took it within the misfire"
                      + " threshold, the cluster being starved)")
              .register(registry));
    }
    return new AuditSeries(tags, meters);
  }

  private Gauge gauge(
      String name,
      String description,
      Tags tags,
      String auditId,
      ToDoubleFunction<LatestResult> value) {
    return Gauge.builder(
            PREFIX + name,
            this,
            m -> m.snapshot.get().latest(auditId).map(value::applyAsDouble).orElse(Double.NaN))
        .tags(tags)
        .description(description)
        .register(registry);
  }

  private double openAlerts(String severity, int column) {
    if (storeUp != 1 && snapshot.get() == ResultSnapshot.EMPTY) {
      return Double.NaN;
    }
    long[] counts = snapshot.get().openAlerts().get(severity);
    return counts == null ? 0 : counts[column];
  }

  private static double number(Long value) {
    return value == null ? Double.NaN : value;
  }

  static double seconds(Instant instant) {
    return instant == null ? Double.NaN : instant.toEpochMilli() / 1000.0;
  }

  /**
   * The Prometheus text exposition. Every value comes from state that changes only when the store
   * is read again, a target probed or the audit files reloaded, so the text is rendered then
   * ({@link #publish()}, on the background threads) and a scrape only hands it out: with a thousand
   * audits (16,000 series) rendering takes tens of milliseconds, a scrape well under one.
   */
  public String scrape() {
    Rendered rendered = this.rendered;
    return (dirty || rendered == null ? render().text() : rendered.text()) + readAge();
  }

  /** The exposition passed through the redactor and encoded, as {@code GET /metrics} sends it. */
  public byte[] scrapeRedactedBytes() {
    Rendered rendered = this.rendered;
    byte[] text = dirty || rendered == null ? render().redacted() : rendered.redacted();
    byte[] age = readAge().getBytes(StandardCharsets.UTF_8);
    byte[] both = Arrays.copyOf(text, text.length + age.length);
    System.arraycopy(age, 0, both, text.length, age.length);
    return both;
  }

  static final String READ_AGE = PREFIX + "store_read_age_seconds";

  /**
   * The staleness of every audit value: the seconds since the latest successful read of the store,
   * at the moment of the scrape (NaN before the first). Written at each scrape after the rendered
   * text, not registered, because it changes at every scrape while the rest changes only when the
   * store is read again; rendering a thousand audits' series for it would cost each scrape tens of
   * milliseconds.
   */
  private String readAge() {
    long read = lastReadNanos;
    double age = read == 0 ? Double.NaN : (System.nanoTime() - read) / 1e9;
    return "# HELP "
        + READ_AGE
        + " Seconds since the latest successful read of the store: the age of the audit values"
        + " (kept while the store is down)\n# TYPE "
        + READ_AGE
        + " gauge\n"
        + READ_AGE
        + " "
        + (Double.isNaN(age) ? "NaN" : String.format(Locale.ROOT, "%.3f", age))
        + "\n";
  }

  /** The exposition as text, and as the redacted UTF-8 bytes the HTTP API sends. */
  private record Rendered(String text, byte[] redacted) {}

  /** Renders the exposition now (after a change), for the next scrapes. */
  public void publish() {
    render();
  }

  private synchronized Rendered render() {
    dirty = false;
    String text = registry.scrape();
    Rendered fresh = new Rendered(text, Redactor.redact(text).getBytes(StandardCharsets.UTF_8));
    rendered = fresh;
    return fresh;
  }

  private volatile Rendered rendered;
  private volatile boolean dirty = true;

  private void changed() {
    dirty = true;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }
}
