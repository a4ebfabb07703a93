package io.integrityauditor.support;

import java.util.Map;

/**
 * A database with a schema per tenant, for a {@code schemas:} template: in each, customers 1-10 and
 * orders 1-10 of existing customers, then the tenant's orphaned orders (ids 100, 101, ... of
 * customers 900, 901, ..., which do not exist).
 */
public final class TenantShop {
  private TenantShop() {}

  /**
   * @param orphans each tenant schema with its number of orphaned orders
   */
  public static TestPostgres.Database create(String prefix, Map<String, Integer> orphans) {
    TestPostgres.Database shop = TestPostgres.newDatabase(prefix);
    orphans.forEach(
        (tenant, count) ->
            shop.execute(
                ("CREATE SCHEMA %1$s; CREATE TABLE %1$s.customers (id int PRIMARY KEY);"
                        + " INSERT INTO %1$s.customers SELECT generate_series(1, 10);"
                        + " CREATE TABLE %1$s.orders (id int PRIMARY KEY, customer_id int);"
                        + " INSERT INTO %1$s.orders SELECT i, i FROM generate_series(1, 10) i;"
                        + " INSERT INTO %1$s.orders SELECT 100 + i, 900 + i"
                        + " FROM generate_series(0, %2$d - 1) i")
                    .formatted(tenant, count)));
    return shop;
  }
}
