package io.integrityauditor.audit;

import io.integrityauditor.config.Location;
import io.integrityauditor.config.Schedule;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One declared audit, with file defaults applied.
 *
 * @param id stable unique id (also the metric label and the run-history key)
 * @param description what it checks, for humans
 * @param target the database it audits
 * @param spec the kind and its parameters
 * @param schedule when it runs ({@code @weekly}, a 5-field or a Quartz cron expression)
 * @param timeout statement timeout of its query (cancelled on the server when exceeded)
 * @param lockTimeout how long it may wait for a lock before failing instead of queueing
 * @param sampleSize how many violating keys to keep
 * @param severity how bad a breach is
 * @param threshold when violations breach
 * @param location the line where the audit starts
 * @param keyLocations where each key was written, by dotted path, for catalog errors
 * @param execution full, chunked or incremental runs, and planner settings (docs/audits.md)
 * @param owner the team that answers for its alerts (routes them, deploy/alertmanager), if named
 * @param fleet for an audit written for a template: which audit, template and tenant it is
 */
public record Audit(
    String id,
    Optional<String> description,
    String target,
    AuditSpec spec,
    Schedule schedule,
    Duration timeout,
    Duration lockTimeout,
    int sampleSize,
    Severity severity,
    Threshold threshold,
    Location location,
    Map<String, Location> keyLocations,
    Execution execution,
    Optional<String> owner,
    Optional<FleetMember> fleet) {

  public Audit {
    keyLocations = Map.copyOf(keyLocations);
  }

  /**
   * Whether {@code other} defines the same audit as this one, wherever in its file it is written: a
   * reload reports an audit whose threshold, severity or timeout was edited as updated, one that
   * only moved in its file as unchanged.
   */
  public boolean sameDefinitionAs(Audit other) {
    return equals(
        new Audit(
            other.id,
            other.description,
            other.target,
            other.spec,
            other.schedule,
            other.timeout,
            other.lockTimeout,
            other.sampleSize,
            other.severity,
            other.threshold,
            location,
            keyLocations,
            other.execution,
            other.owner,
            other.fleet));
  }

  /**
   * An audit of a single database with the default execution (auto mode, no planner settings) and
   * no owner.
   */
  public Audit(
      String id,
      Optional<String> description,
      String target,
      AuditSpec spec,
      Schedule schedule,
      Duration timeout,
      Duration lockTimeout,
      int sampleSize,
      Severity severity,
      Threshold threshold,
      Location location,
      Map<String, Location> keyLocations) {
    this(
        id,
        description,
        target,
        spec,
        schedule,
        timeout,
        lockTimeout,
        sampleSize,
        severity,
        threshold,
        location,
        keyLocations,
        Execution.DEFAULT,
        Optional.empty(),
        Optional.empty());
  }

  public String kind() {
    return spec.kind();
  }

  /**
   * The same definition under another identity: a fleet member's copy of an audit whose text does
   * not depend on the tenant (reading it again per tenant was most of loading a large fleet).
   */
  Audit asMember(String memberId, String memberTarget, FleetMember member) {
    return new Audit(
        memberId,
        description,
        memberTarget,
        spec,
        schedule,
        timeout,
        lockTimeout,
        sampleSize,
        severity,
        threshold,
        location,
        keyLocations,
        execution,
        owner,
        Optional.of(member));
  }

  /**
   * Every target it reads: its own, then any other its sides name (references across databases).
   */
  public List<String> targets() {
    Set<String> all = new LinkedHashSet<>();
    all.add(target);
    spec.sides().forEach(side -> side.target().ifPresent(all::add));
    return List.copyOf(all);
  }

  /** Whether it reads more than one target: a reference whose parent is in another database. */
  public boolean acrossTargets() {
    return targets().size() > 1;
  }

  /**
   * Where {@code keyPath} was written; for a key that was not written itself (like {@code
   * child.table} of the shorthand {@code child: t.c}) the nearest enclosing key, else the audit's
   * first line.
   */
  public Location locationOf(String keyPath) {
    for (String path = keyPath; !path.isEmpty(); ) {
      Location found = keyLocations.get(path);
      if (found != null) {
        return found;
      }
      int dot = path.lastIndexOf('.');
      path = dot < 0 ? "" : path.substring(0, dot);
    }
    return location;
  }
}
