package io.integrityauditor.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.support.Audits;
import io.integrityauditor.support.TestPostgres;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configuring and validating references across databases (issue 17): {@code target:} on a side,
 * each side bound against its own target's catalog, located errors for mistakes.
 */
class CrossDatabaseValidationTest {
  static TestPostgres.Database orders;
  static TestPostgres.Database customers;

  @TempDir Path dir;

  @BeforeAll
  static void databases() {
    orders = TestPostgres.newDatabase("xdb_orders");
    customers = TestPostgres.newDatabaseOnOtherServer("xdb_customers");
    orders.execute(
        """
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, status text NOT NULL);
        INSERT INTO orders VALUES (1, 10, 'OPEN'), (2, 11, 'OPEN'), (3, 99, 'OPEN'),
          (4, 98, 'CANCELLED');
        """);
    customers.execute(
        """
        CREATE TABLE customers (id bigint PRIMARY KEY, name text);
        INSERT INTO customers VALUES (10, 'a'), (11, 'b');
        """);
  }

  private Map<String, TestPostgres.Database> targets() {
    Map<String, TestPostgres.Database> targets = new LinkedHashMap<>();
    targets.put("orders", orders);
    targets.put("customers", customers);
    return targets;
  }

  private List<String> problems(String yaml) {
    try {
      Audits.run(dir, targets(), null, yaml);
      return List.of();
    } catch (ConfigException e) {
      return e.problems().stream()
          .map(ConfigProblem::format)
          .map(line -> line.replace(dir.toString() + "/", ""))
          .toList();
    }
  }

  @Test
  void the_issues_example_runs_with_a_target_on_each_side_and_none_on_the_audit() {
    var results =
        Audits.run(
            dir,
            targets(),
            null,
            """
            audits:
              - id: orders.customer
                kind: orphan
                child:  {target: orders, table: orders, columns: [customer_id], where: {status: {ne: CANCELLED}}}
                parent: {target: customers, table: customers, columns: [id]}
            """);
    var result = results.get("orders.customer");
    assertThat(result.audit().target()).isEqualTo("orders");
    assertThat(result.audit().targets()).containsExactly("orders", "customers");
    assertThat(result.measurement().orElseThrow().violations()).isEqualTo(1);
    assertThat(result.measurement().orElseThrow().rowsChecked()).isEqualTo(3);
  }

  @Test
  void an_unknown_target_on_a_side_is_located_with_a_suggestion_and_the_known_targets() {
    assertThat(
            problems(
                """
                audits:
                  - id: o
                    kind: orphan
                    target: orders
                    child: orders.customer_id
                    parent:
                      target: custmers
                      table: customers
                      columns: [id]
                """))
        .containsExactly(
            "audits/test.yaml:7: audit 'o': key 'parent.target': unknown target 'custmers' (did"
                + " you mean customers?); configured targets: customers, orders");
  }

  @Test
  void each_side_is_bound_against_its_own_targets_catalog() {
    // customers exists only in the customers database; orders only in the orders database
    assertThat(
            problems(
                """
                audits:
                  - id: o
                    kind: orphan
                    target: orders
                    child: orders.customer_id
                    parent:
                      target: customers
                      table: customers
                      columns: [ident]
                """))
        .containsExactly(
            "audits/test.yaml:9: audit 'o': key 'parent.columns': column customers.ident does"
                + " not exist");
    assertThat(
            problems(
                """
                audits:
                  - id: o
                    kind: orphan
                    target: orders
                    child: orders.customer_id
                    parent: {table: customers, columns: [id]}
                """))
        .hasSize(1)
        .allSatisfy(problem -> assertThat(problem).contains("key 'parent.table'"));
  }

  @Test
  void incremental_runs_are_refused_across_databases_with_what_to_do_instead() {
    assertThat(
            problems(
                """
                audits:
                  - id: o
                    kind: orphan
                    target: orders
                    mode: incremental
                    watermark: id
                    child: orders.customer_id
                    parent: {target: customers, table: customers, columns: [id]}
                """))
        .containsExactly(
            "audits/test.yaml:5: audit 'o': key 'mode': incremental runs are not available for a"
                + " reference across databases (orders and customers): it streams both tables"
                + " with bounded memory; use mode: chunked for bounded statements, or full or"
                + " auto");
  }

  @Test
  void chunked_runs_across_databases_need_an_index_on_the_reference_and_say_which() {
    assertThat(
            problems(
                """
                audits:
                  - id: o
                    kind: orphan
                    target: orders
                    mode: chunked
                    child: orders.customer_id
                    parent: {target: customers, table: customers, columns: [id]}
                """))
        .containsExactly(
            "audits/test.yaml:5: audit 'o': key 'mode': chunked runs across databases split"
                + " public.orders into ranges of customer_id on both servers, and no index of the"
                + " table starts with it: every chunk would read the whole table; create one"
                + " (CREATE INDEX CONCURRENTLY ON public.orders (customer_id)) or use mode: full or"
                + " auto");
  }

  @Test
  void a_side_target_is_refused_where_a_kind_reads_one_database() {
    assertThatThrownBy(
            () ->
                Audits.run(
                    dir,
                    targets(),
                    null,
                    """
                    audits:
                      - id: u
                        kind: unique
                        target: orders
                        table: orders
                        columns: [id]
                        parent: {target: customers}
                    """))
        .isInstanceOf(ConfigException.class);
  }
}
