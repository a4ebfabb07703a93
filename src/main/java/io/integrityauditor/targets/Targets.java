package io.integrityauditor.targets;

import io.integrityauditor.audit.ResultDescriber;
import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.CatalogReader;
import io.integrityauditor.catalog.RoleAccess;
import io.integrityauditor.config.ConnectionBudget;
import io.integrityauditor.config.Redactor;
import io.integrityauditor.config.TargetConfig;
import io.integrityauditor.config.TargetTemplate;
import io.integrityauditor.targets.ReadOnlyTransaction.Limits;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import org.postgresql.Driver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audited databases and their connections: every target on one PostgreSQL server ({@code
 * host:port}) shares that server's connection budget, so a fleet of databases on few servers never
 * holds more connections than the budgets allow, whatever the number of targets.
 */
public final class Targets implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Targets.class);

  private final Map<String, TargetConfig> configs;
  private final ConnectionBudget budget;
  private final Clock clock;
  private final SharedBudget shared;
  private final Map<String, TargetConnections> connections = new LinkedHashMap<>();
  private final Map<String, Server> servers = new LinkedHashMap<>();
  private final Map<String, List<String>> tenants = new ConcurrentHashMap<>();
  private final LongAdder catalogReads = new LongAdder();

  /**
   * Closes idle connections: after {@link #IDLE_TIMEOUT}, or at once when one waits for a place.
   */
  private final ScheduledExecutorService reaper =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "target-connections-reaper");
            thread.setDaemon(true);
            return thread;
          });

  /** How long a connection given back stays open for its target to use again. */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);

  /** Budgets of this process alone (no other process connects to the same servers). */
  public Targets(Map<String, TargetConfig> configs, ConnectionBudget budget) {
    this(configs, budget, SharedBudget.PROCESS_ONLY);
  }

  /**
   * @param shared the budgets' places shared with the other processes connecting to the same
   *     servers (the cluster's nodes); closed with these targets
   */
  public Targets(Map<String, TargetConfig> configs, ConnectionBudget budget, SharedBudget shared) {
    this(configs, budget, Clock.systemUTC(), shared);
  }

  Targets(Map<String, TargetConfig> configs, ConnectionBudget budget, Clock clock) {
    this(configs, budget, clock, SharedBudget.PROCESS_ONLY);
  }

  private Targets(
      Map<String, TargetConfig> configs,
      ConnectionBudget budget,
      Clock clock,
      SharedBudget shared) {
    this.configs = Map.copyOf(configs);
    this.budget = budget;
    this.clock = clock;
    this.shared = shared;
    reaper.scheduleWithFixedDelay(this::maintain, 1, 1, TimeUnit.SECONDS);
  }

  private void maintain() {
    List<Server> all;
    synchronized (this) {
      all = List.copyOf(servers.values());
    }
    try {
      shared.maintain();
      all.forEach(server -> server.closeIdle(IDLE_TIMEOUT));
    } catch (RuntimeException e) {
      // a scheduled task that throws is never run again: the next second tries again
      LOG.warn("cannot close idle connections", e);
    }
  }

  public synchronized DataSource dataSource(String target) {
    return connections.computeIfAbsent(
        target,
        name -> {
          TargetConfig config =
              config(name)
                  .orElseThrow(() -> new IllegalArgumentException("unknown target " + name));
          String address = serverAddress(config.database().url());
          Server server =
              servers.computeIfAbsent(
                  address, a -> new Server(a, budget.of(a), budget.maxWait(), clock, shared));
          // the members of a schema-per-tenant template share their idle connections: a run of
          // one tenant after another's reuses a session instead of opening one (a new backend
          // each time was a good part of a small fleet run), its search path set to its schema
          Optional<TenantOf> member = schemaTenant(name);
          return new TargetConnections(
              name,
              config.database(),
              server,
              budget.maxWait(),
              member.map(m -> m.template() + TargetConfig.TENANT_SEPARATOR).orElse(name),
              member.map(m -> TenantDiscovery.searchPath(m.tenant())));
        });
  }

  /**
   * A configured target, or a member of a template ({@code template@tenant}) among the tenants
   * found by the last {@link #discover}.
   */
  public Optional<TargetConfig> config(String name) {
    TargetConfig configured = configs.get(name);
    if (configured != null) {
      return Optional.of(configured);
    }
    int separator = name.indexOf(TargetConfig.TENANT_SEPARATOR);
    if (separator < 0) {
      return Optional.empty();
    }
    TargetConfig template = configs.get(name.substring(0, separator));
    String tenant = name.substring(separator + 1);
    if (template == null
        || template.template().isEmpty()
        || !tenants.getOrDefault(template.name(), List.of()).contains(tenant)) {
      return Optional.empty();
    }
    return Optional.of(
        new TargetConfig(
            name,
            TenantDiscovery.member(template.database(), template.template().get().layout(), tenant),
            template.maxConcurrentAudits()));
  }

  /**
   * The tenants of every template found now.
   *
   * @param tenants by template, sorted; a template whose tenants could not be listed keeps the
   *     tenants found before (none the first time)
   * @param failures why a template's tenants could not be listed, by template
   */
  public record Discovery(Map<String, List<String>> tenants, Map<String, String> failures) {
    public Discovery {
      tenants = Map.copyOf(tenants);
      failures = Map.copyOf(failures);
    }
  }

  /** Lists the tenants of every template again (on load, reload and {@code discover_every}). */
  public Discovery discover() {
    Map<String, String> failures = new LinkedHashMap<>();
    for (TargetConfig config : configs.values()) {
      if (config.template().isEmpty()) {
        continue;
      }
      try (Connection connection = dataSource(config.name()).getConnection()) {
        tenants.put(config.name(), TenantDiscovery.list(connection, config.template().get()));
      } catch (SQLException | RuntimeException e) {
        failures.put(config.name(), Redactor.redact(String.valueOf(e.getMessage())));
      }
    }
    return new Discovery(Map.copyOf(tenants), failures);
  }

  /** The tenants found by the last {@link #discover}, by template. */
  public Map<String, List<String>> tenants() {
    return Map.copyOf(tenants);
  }

  /**
   * The {@code host:port} of a JDBC URL as pgjdbc reads it (default host and port filled in; a URL
   * naming several hosts gives them all, comma-separated).
   */
  public static String serverAddress(String url) {
    Properties parsed = Driver.parseURL(url, null);
    if (parsed == null) {
      return url;
    }
    String[] hosts = parsed.getProperty("PGHOST", "localhost").split(",");
    String[] ports = parsed.getProperty("PGPORT", "5432").split(",");
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < hosts.length; i++) {
      addresses.add(hosts[i] + ":" + (i < ports.length ? ports[i] : "5432"));
    }
    return String.join(",", addresses);
  }

  /** How many connections may be open at once over every server the targets are on. */
  public int connectionsAllowed() {
    return configs.values().stream()
        .map(c -> serverAddress(c.database().url()))
        .distinct()
        .mapToInt(budget::of)
        .sum();
  }

  public Collection<TargetConfig> configs() {
    return configs.values();
  }

  /**
   * Reads the target's catalog in a read-only transaction: a schema-per-tenant member's is its
   * template's database catalog, read once for all its tenants ({@link #catalogSource}), seen as
   * the member sees it ({@link #catalogView}).
   */
  public Catalog catalog(String target) throws SQLException {
    if (config(target).isEmpty()) {
      throw new IllegalArgumentException("unknown target " + target);
    }
    String source = catalogSource(target);
    catalogReads.increment();
    try (Connection connection = dataSource(source).getConnection()) {
      Catalog read =
          ReadOnlyTransaction.run(
              connection,
              Limits.brief(Duration.ofSeconds(60)),
              context -> CatalogReader.read(connection));
      return catalogView(target, read);
    }
  }

  /**
   * The target whose catalog read serves {@code target}: for a member of a schema-per-tenant
   * template, the template (its database holds every tenant's schema, so one read serves them all);
   * for any other target, itself (a database per tenant is a catalog per tenant).
   */
  public String catalogSource(String target) {
    return schemaTenant(target).map(TenantOf::template).orElse(target);
  }

  /**
   * {@code target}'s catalog from the catalog of its {@link #catalogSource}: a schema-per-tenant
   * member sees its own schema as its whole search path (as its connections do: pgjdbc's {@code
   * currentSchema}) and the database's tables without the other tenants' schemas; any other target
   * sees the catalog as read.
   */
  public Catalog catalogView(String target, Catalog sourceCatalog) {
    Optional<TenantOf> member = schemaTenant(target);
    if (member.isEmpty()) {
      return sourceCatalog;
    }
    String tenant = member.get().tenant();
    Set<String> tenants =
        new HashSet<>(this.tenants.getOrDefault(member.get().template(), List.of()));
    return sourceCatalog.view(
        List.of(tenant), schema -> schema.equals(tenant) || !tenants.contains(schema));
  }

  /** How many catalog reads this process made (one per database, whatever its tenants). */
  public long catalogReads() {
    return catalogReads.sum();
  }

  private record TenantOf(String template, String tenant) {}

  /** The template and tenant of a member of a schema-per-tenant template. */
  private Optional<TenantOf> schemaTenant(String target) {
    if (configs.containsKey(target)) {
      return Optional.empty();
    }
    int separator = target.indexOf(TargetConfig.TENANT_SEPARATOR);
    if (separator < 0) {
      return Optional.empty();
    }
    TargetConfig template = configs.get(target.substring(0, separator));
    if (template == null
        || template.template().isEmpty()
        || template.template().get().layout() != TargetTemplate.Layout.SCHEMAS) {
      return Optional.empty();
    }
    return Optional.of(new TenantOf(template.name(), target.substring(separator + 1)));
  }

  /**
   * Describes a query's result columns on the target: the server parses and plans it (Parse and
   * Describe messages), no row is fetched and nothing executes, in a read-only transaction with
   * timeouts like the catalog read.
   */
  public ResultDescriber describer(String target) {
    return sql -> {
      try (Connection connection = dataSource(target).getConnection()) {
        return ReadOnlyTransaction.run(
            connection,
            Limits.brief(Duration.ofSeconds(30)),
            context -> {
              try (PreparedStatement statement = connection.prepareStatement(sql)) {
                ResultSetMetaData metaData = statement.getMetaData();
                List<String> columns = new ArrayList<>();
                for (int i = 1; metaData != null && i <= metaData.getColumnCount(); i++) {
                  columns.add(metaData.getColumnLabel(i));
                }
                return columns;
              }
            });
      }
    };
  }

  /** What the configured role could do on the target (read in a read-only transaction). */
  public RoleAccess roleAccess(String target) throws SQLException {
    try (Connection connection = dataSource(target).getConnection()) {
      return ReadOnlyTransaction.run(
          connection, Limits.brief(Duration.ofSeconds(30)), context -> RoleAccess.read(connection));
    }
  }

  /** Closes the idle connections (connections in use are closed by their users). */
  @Override
  public synchronized void close() {
    reaper.shutdownNow();
    servers.values().forEach(server -> server.closeIdle(Duration.ZERO));
    connections.clear();
    shared.close();
  }
}
