package io.integrityauditor.serve;

import io.integrityauditor.Plural;
import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditFileLoader;
import io.integrityauditor.audit.AuditSet;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.Schedule;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import io.integrityauditor.schedule.AuditScheduler;
import io.integrityauditor.schedule.ReloadReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A (re)load of the audit files: the files are the source of truth, and every load adds, changes
 * and removes Quartz jobs to match them (any node may do it; Quartz's store lock and primary keys
 * make it safe when several do). A load with problems keeps the previous valid definitions running
 * and only reports the problems.
 */
final class AuditReload {
  private static final Logger LOG = LoggerFactory.getLogger(AuditReload.class);

  private final Auditor auditor;
  private final ActiveAudits active;
  private final CatalogCache catalogs;
  private final AuditScheduler scheduler;

  AuditReload(
      Auditor auditor, ActiveAudits active, CatalogCache catalogs, AuditScheduler scheduler) {
    this.auditor = auditor;
    this.active = active;
    this.catalogs = catalogs;
    this.scheduler = scheduler;
  }

  /**
   * The audit files as read from disk, not yet bound.
   *
   * @param millis how long reading and parsing them took
   */
  record FilesRead(List<Path> files, AuditSet set, long millis) {}

  /**
   * Reads and parses the audit files; needs neither the store nor a target when no target is a
   * template (whose tenants {@code loader} knows).
   */
  static FilesRead readFiles(WorkerConfig config, AuditFileLoader loader) {
    long started = System.nanoTime();
    List<Path> files = WorkerConfigLoader.expandAuditFiles(config);
    AuditSet set = loader.load(files);
    return new FilesRead(files, set, (System.nanoTime() - started) / 1_000_000);
  }

  /** Re-reads the audit files and the targets' catalogs and reconciles the Quartz jobs. */
  synchronized ReloadReport reload() {
    return reload(readFiles(auditor.config(), auditor.auditLoader()));
  }

  /** The same with files already read (a node's first load reads them while the store opens). */
  synchronized ReloadReport reload(FilesRead read) {
    // Quartz proxies JDBC connections through the thread's context class loader, which is null
    // on the JVM's signal-handler thread (SIGHUP): give it ours.
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(AuditReload.class.getClassLoader());
    try {
      return reloadNow(read);
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  private ReloadReport reloadNow(FilesRead read) {
    long loaded = System.nanoTime();
    WorkerConfig config = auditor.config();
    AuditSet set = read.set();
    List<ConfigProblem> problems = new ArrayList<>(set.problems());
    if (read.files().isEmpty()) {
      problems.add(
          new ConfigProblem(
              new Location(config.file().toString(), 0),
              null,
              "audits",
              "no audit file matches " + config.auditPatterns()));
    }
    long reads = auditor.targets().catalogReads();
    Auditor.Binding binding = auditor.bind(set.audits());
    reads = auditor.targets().catalogReads() - reads;
    long bound = System.nanoTime();
    catalogs.putAll(binding.catalogs());
    problems.addAll(binding.problems());
    // Audits that loaded but do not bind (unknown column, ...). Invalid definitions never reach
    // set.audits(); going by id here would also drop a valid audit whose id a broken duplicate
    // in another file repeats.
    Set<String> brokenIds = new HashSet<>();
    binding.problems().forEach(p -> brokenIds.add(p.auditId()));

    Map<String, Audit> next = new LinkedHashMap<>();
    for (Audit audit : set.audits()) {
      if (!brokenIds.contains(audit.id())) {
        next.put(audit.id(), audit);
      }
    }
    List<String> kept = new ArrayList<>();
    if (!problems.isEmpty()) {
      for (Audit audit : active.activeAudits().values()) {
        if (!next.containsKey(audit.id())) {
          next.put(audit.id(), audit);
          kept.add(audit.id());
        }
      }
    }
    Map<String, Audit> before = active.activeAudits();
    active.admit(next);
    AuditScheduler.Changes changes =
        scheduler.reconcile(scheduled(next.values()), problems.isEmpty());
    ReloadReport report =
        new ReloadReport(
            Instant.now(),
            List.copyOf(next.keySet()),
            changes.added(),
            updated(changes, next.values(), before),
            changes.removed(),
            kept,
            problems);
    scheduler.ensureRetentionJob();
    active.replace(next, report);
    for (ConfigProblem problem : problems) {
      LOG.error("configuration problem: {}", problem.format());
    }
    LOG.info(
        "audits loaded: {} active, {} added, {} updated, {} removed, {} kept from before, {}"
            + " (files read in {} ms, {} in {} ms, audits bound in {} ms, jobs reconciled in"
            + " {} ms)",
        report.active().size(),
        report.added().size(),
        report.updated().size(),
        report.removed().size(),
        report.kept().size(),
        Plural.of(problems.size(), "problem"),
        read.millis(),
        Plural.of(reads, "catalog read"),
        binding.catalogsRead().toMillis(),
        (bound - loaded) / 1_000_000 - binding.catalogsRead().toMillis(),
        (System.nanoTime() - bound) / 1_000_000);
    return report;
  }

  /**
   * A node's first load when the store already schedules exactly these audits (a node joining its
   * peers, or restarting): they become active without being bound to their targets' catalogs, which
   * at thousands of fleet members was most of a node's start. The caller binds them right after
   * ({@link #reload(FilesRead)}, off the way to ready: problems are reported then). Until that is
   * done nothing changes for a run: every run binds its audit to its target's catalog when it
   * fires, and one that does not bind is recorded as a {@code config} failure, never run.
   *
   * @return empty when the files have problems or anything is to be written: load with {@link
   *     #reload(FilesRead)}
   */
  synchronized Optional<Resumed> resume(FilesRead read) {
    long started = System.nanoTime();
    if (read.files().isEmpty()
        || !read.set().problems().isEmpty()
        || active.lastReload().isPresent()) {
      return Optional.empty();
    }
    Map<String, Audit> audits = new LinkedHashMap<>();
    read.set().audits().forEach(audit -> audits.put(audit.id(), audit));
    if (!scheduler.scheduledAlready(scheduled(audits.values()))) {
      return Optional.empty();
    }
    scheduler.ensureRetentionJob();
    ReloadReport report =
        new ReloadReport(
            Instant.now(),
            List.copyOf(audits.keySet()),
            List.of(),
            List.of(),
            List.of(),
            List.of(),
            List.of());
    active.replace(audits, report);
    LOG.info(
        "audits resumed: {} already scheduled in the store as the files define them (files read"
            + " in {} ms, jobs compared in {} ms); binding them to their targets' catalogs next",
        audits.size(),
        read.millis(),
        (System.nanoTime() - started) / 1_000_000);
    return Optional.of(new Resumed(read, report));
  }

  /** A start that {@linkplain #resume resumed} the audits of {@code files} unbound. */
  record Resumed(FilesRead files, ReloadReport report) {}

  /**
   * Binds the audits of a resumed start ({@link #reload(FilesRead)} of the files read then), unless
   * a reload came first: it bound the audits of the files as they are now, which the files read at
   * start must not replace.
   *
   * @return the reload's report, or empty when a reload came first
   */
  synchronized Optional<ReloadReport> bindResumed(Resumed resumed) {
    if (active.lastReload().orElse(null) != resumed.report()) {
      return Optional.empty();
    }
    return Optional.of(reload(resumed.files()));
  }

  /**
   * The audits whose definition the reload changed: those whose job the scheduler replaced
   * (schedule, or what the audit checks), and those edited where the job does not look (threshold,
   * severity, timeout, owner, ...), which take effect at their next run. Without the latter, an
   * operator who edited a threshold and reloaded was told {@code updated: []}.
   */
  private static List<String> updated(
      AuditScheduler.Changes changes, Collection<Audit> audits, Map<String, Audit> before) {
    Set<String> updated = new LinkedHashSet<>(changes.updated());
    for (Audit audit : audits) {
      Audit previous = before.get(audit.id());
      if (previous != null && !previous.sameDefinitionAs(audit)) {
        updated.add(audit.id());
      }
    }
    return List.copyOf(updated);
  }

  /**
   * The audits as the scheduler sees them. Members of a template copied from one definition share
   * its spec: its text (the costly part of a fingerprint) is made once for all of them.
   */
  private List<AuditScheduler.ScheduledAudit> scheduled(Collection<Audit> audits) {
    Map<Object, String> specs = new IdentityHashMap<>();
    List<AuditScheduler.ScheduledAudit> scheduled = new ArrayList<>(audits.size());
    for (Audit audit : audits) {
      String spec = specs.computeIfAbsent(audit.spec(), String::valueOf);
      scheduled.add(
          new AuditScheduler.ScheduledAudit(
              audit.id(),
              audit.description().orElse(audit.kind()),
              active.scheduleOf(audit),
              fingerprint(audit, spec)));
    }
    return scheduled;
  }

  /**
   * What an audit checks: a hash of its target, its kind's definition (tables, columns, filters,
   * the query of an sql audit: a record of lists and ordered maps, so its text is the same on every
   * node) and its sample size. Not of the file: moving an audit within its file or editing its
   * description, owner, timeout or execution settings changes nothing.
   */
  static String fingerprint(Audit audit) {
    return fingerprint(audit, String.valueOf(audit.spec()));
  }

  /**
   * What a node's audit files schedule, as one short hash: every active audit's id, effective
   * schedule and {@link #fingerprint(Audit) fingerprint}, in id order. Nodes loading the same files
   * (and the same {@code override_schedule}) show the same value; a node whose files differ (a
   * reload sent to one node only, a deploy half done) shows another, and a fire time of an audit it
   * does not define would be lost on it. Not of paths or lines: nodes may keep the files elsewhere.
   */
  static String fingerprintOfAll(Collection<Audit> active, Function<Audit, Schedule> scheduleOf) {
    StringBuilder all = new StringBuilder();
    active.stream()
        .sorted(Comparator.comparing(Audit::id))
        .forEach(
            audit ->
                all.append(audit.id())
                    .append('|')
                    .append(scheduleOf.apply(audit))
                    .append('|')
                    .append(fingerprint(audit))
                    .append('\n'));
    return sha256Hex(all.toString());
  }

  /** {@link #fingerprint(Audit)} with the text of the audit's spec already made. */
  private static String fingerprint(Audit audit, String spec) {
    return sha256Hex(audit.target() + "|" + spec + "|sample_size=" + audit.sampleSize());
  }

  /** The first 12 bytes of the SHA-256 of {@code text}, in hex. */
  private static String sha256Hex(String text) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
