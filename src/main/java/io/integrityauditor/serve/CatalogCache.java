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
 * soon.
 */
final class CatalogCache {
  private static final Logger LOG = LoggerFactory.getLogger(CatalogCache.class);

  private final Auditor auditor;
  private final Duration refresh;
  private final Map<String, CachedCatalog> catalogs = new ConcurrentHashMap<>();

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
    if (cached != null && cached.loadedAt().plus(refresh).isAfter(Instant.now())) {
      return Optional.of(cached.catalog());
    }
    try {
      Catalog fresh = auditor.targets().catalog(target);
      catalogs.put(target, new CachedCatalog(fresh, Instant.now()));
      return Optional.of(fresh);
    } catch (SQLException | RuntimeException e) {
      LOG.warn("cannot read the catalog of target {}: {}", target, Redactor.redact(e.getMessage()));
      return Optional.empty();
    }
  }
}
