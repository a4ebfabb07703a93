package io.integrityauditor.config;

import java.time.Duration;
import java.util.Map;

/**
 * How many connections the worker opens to one PostgreSQL server (the {@code connection_budget:}
 * section): every target on a server, templates' members included, shares its budget.
 *
 * @param perServer the budget of a server not listed in {@code servers}
 * @param servers budgets by {@code host:port} as written in the targets' URLs
 * @param maxWait how long a connection waits for a free place in its server's budget before the
 *     work needing it fails with {@code connection}
 */
public record ConnectionBudget(int perServer, Map<String, Integer> servers, Duration maxWait) {
  public static final ConnectionBudget DEFAULTS =
      new ConnectionBudget(4, Map.of(), Duration.ofMinutes(10));

  public ConnectionBudget {
    servers = Map.copyOf(servers);
  }

  /** The budget of the server at {@code address} ({@code host:port}). */
  public int of(String address) {
    return servers.getOrDefault(address, perServer);
  }
}
