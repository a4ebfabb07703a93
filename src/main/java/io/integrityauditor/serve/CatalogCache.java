package io.integrityauditor.serve;

import io.integrityauditor.audit.Audit;
import io.integrityauditor.audit.AuditBinder;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.config.Redactor;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The targets' catalogs a scheduled run binds its audit to, each re-read once older than {@code
 * scheduler.catalog_refresh}: a run does not pay for a catalog read, yet sees a changed schema
 * soon. The members of a schema-per-tenant template share one read of their database's catalog (its
 * {@linkplain io.integrityauditor.targets.Targets#catalogSource source}), each seeing its own view
 * of it.
 */
final class CatalogCache {
  private static final Logger LOG = LoggerFactory.getLogger(CatalogCache.class);

  private final Auditor auditor;
  private final Duration refresh;

  /** By target: what its audits bind to. */
  private final Map<String, CachedCatalog> catalogs = new ConcurrentHashMap<>();

  /** By source shared by several targets: the catalog as read. */
  private final Map<String, CachedCatalog> sources = new ConcurrentHashMap<>();

  /** One read of a source at a time: the members that find it stale together wait for it. */
  private final Map<String, Object> sourceLocks = new ConcurrentHashMap<>();

  private record CachedCatalog(Catalog catalog, Instant loadedAt) {}

  CatalogCache(Auditor auditor, Duration refresh) {
    this.auditor = auditor;
    this.refresh = refresh;
  }

  /** Catalogs just read (by a reload) count as fresh. */
  void putAll(Map<String, Catalog> fresh) {
    fresh.forEach((t, c) -> catalogs.put(t, new CachedCatalog(c, Instant.now())));
  }

  /**
   * The audit bound to its targets' (cached) catalogs: its own, and the other side's of a reference
   * across databases.
   *
   * @return empty when a target's catalog cannot be read
   */
  Optional<AuditBinder.Result> bind(Audit audit) {
    Map<String, Catalog> read = new LinkedHashMap<>();
    for (String target : audit.targets()) {
      Optional<Catalog> catalog = catalog(target);
      if (catalog.isEmpty()) {
        return Optional.empty();
      }
      read.put(target, catalog.get());
    }
    return Optional.of(AuditBinder.bind(List.of(audit), read, auditor.targets()::describer));
  }

  private Optional<Catalog> catalog(String target) {
    CachedCatalog cached = catalogs.get(target);
    if (fresh(cached)) {
      return Optional.of(cached.catalog());
    }
    try {
      String source = auditor.targets().catalogSource(target);
      CachedCatalog read =
          source.equals(target)
              ? new CachedCatalog(auditor.targets().catalog(target), Instant.now())
              : sharedSource(source);
      CachedCatalog view =
          new CachedCatalog(auditor.targets().catalogView(target, read.catalog()), read.loadedAt());
      catalogs.put(target, view);
      return Optional.of(view.catalog());
    } catch (SQLException | RuntimeException e) {
      LOG.warn("cannot read the catalog of target {}: {}", target, Redactor.redact(e.getMessage()));
      return Optional.empty();
    }
  }

  /** A source's catalog, read again only when stale, and only by one of its targets at a time. */
  private CachedCatalog sharedSource(String source) throws SQLException {
    synchronized (sourceLocks.computeIfAbsent(source, s -> new Object())) {
      CachedCatalog cached = sources.get(source);
      if (fresh(cached)) {
        return cached;
      }
      CachedCatalog read = new CachedCatalog(auditor.targets().catalog(source), Instant.now());
      sources.put(source, read);
      return read;
    }
  }

  private boolean fresh(CachedCatalog cached) {
    return cached != null && cached.loadedAt().plus(refresh).isAfter(Instant.now());
  }
}
