package io.integrityauditor.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.CatalogReader;
import io.integrityauditor.support.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How data evidence decides, one small schema per behaviour (each run is limited to its schemas,
 * which also limits where parents are looked for).
 */
class SuggestEvidenceTest {
  static TestPostgres.Database db;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("suggest_evidence");
    db.execute(
        """
        CREATE SCHEMA enforced;
        CREATE TABLE enforced.accounts (id bigint PRIMARY KEY);
        CREATE TABLE enforced.invoices (
          id int PRIMARY KEY,
          account_id int REFERENCES enforced.accounts (id),
          payer_account_id bigint REFERENCES enforced.accounts (id));

        CREATE SCHEMA nodata;
        CREATE TABLE nodata.users (id int PRIMARY KEY);
        INSERT INTO nodata.users SELECT generate_series(1, 10);
        CREATE TABLE nodata.tickets (id int PRIMARY KEY, assignee_id int, closed_by int);
        INSERT INTO nodata.tickets (id) SELECT generate_series(1, 5);

        CREATE SCHEMA amb;
        CREATE SCHEMA amb_x;
        CREATE SCHEMA amb_y;
        CREATE TABLE amb.notes (id int PRIMARY KEY, widget_id int);
        CREATE TABLE amb_x.widgets (id int PRIMARY KEY);
        CREATE TABLE amb_y.widgets (id int PRIMARY KEY);

        CREATE SCHEMA types;
        CREATE TABLE types.projects (id uuid PRIMARY KEY);
        INSERT INTO types.projects SELECT md5('p' || i)::uuid FROM generate_series(1, 30) i;
        CREATE TABLE types.audit_log (id int PRIMARY KEY, project_id text);
        INSERT INTO types.audit_log SELECT i, md5('p' || (1 + i % 30))::uuid::text
          FROM generate_series(1, 100) i;
        CREATE TABLE types.projects_archive (id int PRIMARY KEY, project_id varchar(36));

        CREATE SCHEMA counters;
        CREATE TABLE counters.channels (id serial PRIMARY KEY);
        INSERT INTO counters.channels SELECT FROM generate_series(1, 300);
        CREATE TABLE counters.orders (id int PRIMARY KEY, channel_id int NOT NULL);
        INSERT INTO counters.orders SELECT i, 1 + i % 4 FROM generate_series(1, 1000) i;
        CREATE TABLE counters.visitors (id serial PRIMARY KEY);
        INSERT INTO counters.visitors SELECT FROM generate_series(1, 100);
        CREATE TABLE counters.page_views (id int PRIMARY KEY, visitor_id bigint NOT NULL);
        INSERT INTO counters.page_views SELECT i, 1000000 + i * 13 FROM generate_series(1, 500) i;
        CREATE TABLE counters.priorities (id int PRIMARY KEY);
        INSERT INTO counters.priorities VALUES (1), (2), (3);
        CREATE TABLE counters.tickets (id int PRIMARY KEY, priority_id int);
        INSERT INTO counters.tickets SELECT i, 1 + i % 5 FROM generate_series(1, 50) i;

        CREATE SCHEMA side;
        CREATE TABLE side.recording (id int PRIMARY KEY);
        INSERT INTO side.recording SELECT generate_series(1, 100);
        CREATE TABLE side.recording_first_release_date (recording int PRIMARY KEY, year int);
        INSERT INTO side.recording_first_release_date SELECT generate_series(1, 100), 2000;
        CREATE TABLE side.track (id int PRIMARY KEY, recording int NOT NULL);
        INSERT INTO side.track SELECT i, 1 + i % 100 FROM generate_series(1, 400) i;
        -- 30 recordings deleted; the 1:1 cache table still has their rows
        DELETE FROM side.recording WHERE id % 10 < 3;

        CREATE SCHEMA big;
        CREATE TABLE big.customers (id int PRIMARY KEY);
        INSERT INTO big.customers SELECT generate_series(1, 20000);
        CREATE TABLE big.orders (id int PRIMARY KEY, customer_id int NOT NULL);
        INSERT INTO big.orders SELECT i, 1 + (i * 7919) % 20000 FROM generate_series(1, 60000) i;
        CREATE TABLE big.events (id bigint, at date NOT NULL, customer_id int)
          PARTITION BY RANGE (at);
        CREATE TABLE big.events_2025 PARTITION OF big.events
          FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE big.events_2026 PARTITION OF big.events
          FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        INSERT INTO big.events
          SELECT i, date '2025-01-01' + (i % 700), 1 + (i * 31) % 20000
          FROM generate_series(1, 30000) i;

        CREATE SCHEMA best;
        CREATE TABLE best.workflow_stages (id int PRIMARY KEY);
        INSERT INTO best.workflow_stages SELECT generate_series(1, 100);
        CREATE TABLE best.pipeline_stages (id int PRIMARY KEY);
        INSERT INTO best.pipeline_stages SELECT generate_series(1000, 1100);
        CREATE TABLE best.tasks (id int PRIMARY KEY, stage_id int);
        INSERT INTO best.tasks SELECT i, 1000 + i % 50 FROM generate_series(1, 200) i;

        CREATE SCHEMA ext;
        CREATE TABLE ext.customers (id int PRIMARY KEY);
        INSERT INTO ext.customers SELECT generate_series(1, 50);
        CREATE TABLE ext.orders (
          id int PRIMARY KEY, customer_id int, crm_customer_id int, legacy_customer_id int,
          stripe_id text);
        INSERT INTO ext.orders SELECT i, 1 + i % 50, 1 + i % 50, 1 + i % 50, 'ch_' || i
          FROM generate_series(1, 100) i;

        CREATE SCHEMA tenant;
        CREATE TABLE tenant.tenants (id int PRIMARY KEY);
        INSERT INTO tenant.tenants SELECT generate_series(1, 5);
        CREATE TABLE tenant.projects (tenant_id int, id int, PRIMARY KEY (tenant_id, id));
        INSERT INTO tenant.projects SELECT t, p FROM generate_series(1, 5) t, generate_series(1, 20) p;
        CREATE TABLE tenant.tasks (id int PRIMARY KEY, tenant_id int NOT NULL, project_id int);
        INSERT INTO tenant.tasks SELECT i, 1 + i % 5, 1 + i % 20 FROM generate_series(1, 300) i;

        CREATE SCHEMA strings;
        CREATE TABLE strings.countries (code char(2) PRIMARY KEY);
        INSERT INTO strings.countries VALUES ('DE'), ('FR'), ('US');
        CREATE TABLE strings.addresses (id int PRIMARY KEY, country_code text NOT NULL);
        INSERT INTO strings.addresses SELECT i, (ARRAY['DE', 'FR', 'US'])[1 + i % 3]
          FROM generate_series(1, 30) i;

        -- keys named after their table, reused by name where they are referenced (a club's
        -- bookings): 3 of 10 facilities deleted, a role glued to "by" pointing at its own table
        CREATE SCHEMA owned;
        CREATE TABLE owned.artist (id int PRIMARY KEY);
        INSERT INTO owned.artist SELECT generate_series(1, 10);
        CREATE TABLE owned.artist_gid_redirect (gid uuid PRIMARY KEY, new_id int);
        INSERT INTO owned.artist_gid_redirect SELECT md5('g' || i)::uuid, i
          FROM generate_series(1, 10) i;
        CREATE TABLE owned.artist_meta (id int PRIMARY KEY, rating smallint);
        INSERT INTO owned.artist_meta SELECT generate_series(1, 10), 50;
        CREATE TABLE owned.l_artist_artist (id int PRIMARY KEY, entity0 int, entity1 int);
        INSERT INTO owned.l_artist_artist SELECT i, i, 11 - i FROM generate_series(1, 10) i;
        DELETE FROM owned.artist WHERE id IN (3, 6, 9);

        CREATE SCHEMA keyname;
        CREATE TABLE keyname.facilities (facid int PRIMARY KEY);
        INSERT INTO keyname.facilities SELECT generate_series(1, 10);
        CREATE TABLE keyname.members (memid int PRIMARY KEY, recommendedby int);
        INSERT INTO keyname.members SELECT i, CASE WHEN i > 5 THEN 1 + i % 5 END
          FROM generate_series(1, 30) i;
        CREATE TABLE keyname.bookings (bookid int PRIMARY KEY, facid int, memid int);
        INSERT INTO keyname.bookings SELECT i, 1 + i % 10, 1 + i % 30 FROM generate_series(1, 200) i;
        DELETE FROM keyname.facilities WHERE facid IN (2, 5, 8);

        CREATE SCHEMA slow;
        CREATE TABLE slow.parents (id int PRIMARY KEY);
        INSERT INTO slow.parents SELECT generate_series(1, 10);
        CREATE TABLE slow.children (id int PRIMARY KEY, parent_id int);
        INSERT INTO slow.children SELECT i, i FROM generate_series(1, 10) i;

        ANALYZE;
        """);
  }

  private static SuggestSettings settings(String... schemas) {
    return new SuggestSettings(
        List.of(schemas),
        SuggestSettings.DEFAULT_SAMPLE_ROWS,
        SuggestSettings.DEFAULT_MIN_COVERAGE,
        SuggestSettings.DEFAULT_EXCLUDES,
        SuggestSettings.DEFAULT_TIMEOUT);
  }

  private static String yaml(SuggestSettings settings) {
    return SuggestionWriter.yaml(report(settings));
  }

  private static Report report(SuggestSettings settings) {
    try (Connection connection = db.dataSource().getConnection()) {
      Catalog catalog = CatalogReader.read(connection);
      return Suggester.report("app", catalog, connection, settings);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void declared_foreign_keys_are_listed_as_enforced_and_their_type_differences_as_findings() {
    String yaml = yaml(settings("enforced"));
    assertThat(yaml)
        .contains("audits: []\n")
        .contains(
            "# Already enforced by a foreign key (not proposed):\n"
                + "#   enforced.invoices(account_id) -> enforced.accounts(id)"
                + "  [invoices_account_id_fkey]\n"
                + "#   enforced.invoices(payer_account_id) -> enforced.accounts(id)"
                + "  [invoices_payer_account_id_fkey]\n")
        .contains(
            "#   enforced.invoices.account_id (integer) -> enforced.accounts.id (bigint): foreign"
                + " key invoices_account_id_fkey\n")
        .doesNotContain("payer_account_id (bigint)");
  }

  @Test
  void a_column_holding_only_nulls_is_proposed_on_its_name_alone_and_says_so() {
    String yaml = yaml(settings("nodata"));
    assertThat(yaml)
        .contains(
            "  # nodata.tickets.assignee_id -> nodata.users.id (person role)\n"
                + "  # evidence: none, no values in the whole table (5 rows); proposed on its name"
                + " alone\n"
                + "  - id: nodata.tickets.assignee\n")
        .contains("  - id: nodata.tickets.closed_by\n");
  }

  @Test
  void without_values_a_name_that_fits_two_parents_equally_is_rejected() {
    String yaml = yaml(settings("amb", "amb_x", "amb_y"));
    assertThat(yaml)
        .contains("audits: []\n")
        .contains(
            "#   amb.notes.widget_id -> amb_x.widgets.id | amb_y.widgets.id (names the table): no"
                + " values to measure, and the name fits amb_x.widgets.id and amb_y.widgets.id"
                + " equally\n");
  }

  @Test
  void uuids_stored_as_text_are_a_type_alignment_finding_and_not_proposed() {
    Report report = report(settings("types"));
    assertThat(report.proposals()).isEmpty();
    assertThat(SuggestionWriter.yaml(report))
        .contains(
            "#   types.audit_log.project_id (text) -> types.projects.id (uuid) (names the table):"
                + " 30/30 distinct values (100.0%), 100/100 rows (100.0%) match as text, in the"
                + " whole table (100 rows);"
                + " not proposed: the types cannot be compared. Store the reference as uuid, or"
                + " audit it with compare_as: text and type_mismatch: note\n")
        .contains(
            "#   types.projects_archive.project_id (character varying(36)) -> types.projects.id"
                + " (uuid) (names the table): no values to measure in the whole table (0 rows);");
  }

  @Test
  void a_text_reference_to_a_char_key_is_compared_as_the_key_and_noted_for_alignment() {
    assertThat(yaml(settings("strings")))
        .contains(
            "  # strings.addresses.country_code -> strings.countries.code (names the table)\n"
                + "  # evidence: 3/3 distinct values (100.0%), 30/30 rows (100.0%) found, in the"
                + " whole table (30 rows)\n"
                + "  # type alignment: text references character(2); it works, but a foreign key"
                + " wants the same type\n");
  }

  @Test
  void counters_and_values_outside_the_parents_keys_are_rejected_with_their_figures() {
    Report report = report(settings("counters"));
    // tickets.priority_id names its table and 3 of its 5 values are there: a broken reference
    // (issue 14), proposed and marked; the counter and the other key space stay rejected
    assertThat(report.proposals())
        .extracting(p -> p.candidate().describe() + (p.broken() ? " (broken)" : ""))
        .containsExactly("counters.tickets.priority_id -> counters.priorities.id (broken)");
    assertThat(SuggestionWriter.yaml(report))
        .contains(
            "#   counters.orders.channel_id -> counters.channels.id (names the table): 4/4"
                + " distinct values (100.0%), 1,000/1,000 rows (100.0%) found, in the whole table"
                + " (1,000 rows); but the values"
                + " are 1..4 while counters.channels has at least 81 rows: a counter or position,"
                + " not a reference\n")
        .contains(
            "#   counters.page_views.visitor_id -> counters.visitors.id (names the table): 0/500"
                + " distinct values (0.0%), 0/500 rows (0.0%) found, in the whole table (500 rows);"
                + " below the minimum of 90%; half or fewer of the values are there: another key"
                + " space, not a broken reference\n")
        .contains(
            "  # LIKELY REFERENCE, BROKEN DATA: 40.0% of values have no parent (2 of 5 distinct"
                + " values); proposed because the name is strong evidence: this audit will report"
                + " them\n"
                + "  # evidence: 3/5 distinct values (60.0%), 30/50 rows (60.0%) found, in the whole"
                + " table (50 rows)\n"
                + "  - id: counters.tickets.priority\n");
  }

  @Test
  void the_name_of_one_tables_primary_key_is_strong_evidence_even_when_the_data_is_broken() {
    Report report = report(settings("keyname"));
    assertThat(report.proposals())
        .extracting(p -> p.candidate().describe() + (p.broken() ? " (broken)" : ""))
        .containsExactly(
            "keyname.bookings.facid -> keyname.facilities.facid (broken)",
            "keyname.bookings.memid -> keyname.members.memid",
            "keyname.members.recommendedby -> keyname.members.memid");
    assertThat(SuggestionWriter.yaml(report))
        .contains(
            "  # keyname.bookings.facid -> keyname.facilities.facid (same name as a unique column)\n"
                + "  # LIKELY REFERENCE, BROKEN DATA: 30.0% of values have no parent (3 of 10"
                + " distinct values); proposed because the name is strong evidence: this audit will"
                + " report them\n")
        // and counted in the summary a reviewer reads first
        .contains("# Result: 3 audits proposed (1 of them likely references with broken data),");
  }

  @Test
  void a_tables_own_name_and_key_are_strong_evidence_even_when_the_data_is_broken() {
    assertThat(report(settings("owned")).proposals())
        .extracting(p -> p.candidate().describe() + (p.broken() ? " (broken)" : ""))
        .containsExactlyInAnyOrder(
            "owned.artist_gid_redirect.new_id -> owned.artist.id (broken)",
            "owned.artist_meta.id -> owned.artist.id (broken)",
            "owned.l_artist_artist.entity0 -> owned.artist.id (broken)",
            "owned.l_artist_artist.entity1 -> owned.artist.id (broken)");
  }

  @Test
  void the_entity_wins_over_a_side_table_that_still_has_the_rows_the_entity_lost() {
    assertThat(yaml(settings("side")))
        .contains(
            "  # side.track.recording -> side.recording.id (names the table without a key word)\n"
                + "  # LIKELY REFERENCE, BROKEN DATA: 30.0% of values have no parent (30 of 100"
                + " distinct values); proposed because the name is strong evidence: this audit will"
                + " report them\n"
                + "  # evidence: 70/100 distinct values (70.0%), 280/400 rows (70.0%) found, in the"
                + " whole table (400 rows)\n"
                + "  # also measured: side.recording_first_release_date.recording 100.0%\n"
                + "  - id: side.track.recording\n");
  }

  @Test
  void a_lower_minimum_coverage_accepts_a_reference_with_many_orphans() {
    SuggestSettings lenient =
        new SuggestSettings(
            List.of("counters"), 10_000, 0.5, List.of(), SuggestSettings.DEFAULT_TIMEOUT);
    assertThat(yaml(lenient))
        .contains(
            "  # evidence: 3/5 distinct values (60.0%), 30/50 rows (60.0%) found, in the whole"
                + " table (50 rows)\n"
                + "  - id: counters.tickets.priority\n");
  }

  @Test
  void big_tables_are_sampled_repeatably_and_partitions_are_read_through_their_table() {
    SuggestSettings small =
        new SuggestSettings(
            List.of("big"),
            1000,
            SuggestSettings.DEFAULT_MIN_COVERAGE,
            List.of(),
            SuggestSettings.DEFAULT_TIMEOUT);
    String first = yaml(small);
    assertThat(first)
        .containsPattern(
            "  # evidence: [\\d,]+/[\\d,]+ distinct values \\(100\\.0%\\), [\\d,]+/[\\d,]+ rows"
                + " \\(100\\.0%\\) found, in a [\\d,]+-row"
                + " sample \\(TABLESAMPLE SYSTEM 3.4%\\)\n  - id: big.orders.customer\n")
        .containsPattern(
            "  # evidence: [\\d,]+/[\\d,]+ distinct values \\(100\\.0%\\), [\\d,]+/[\\d,]+ rows"
                + " \\(100\\.0%\\) found, in a [\\d,]+-row"
                + " sample \\(TABLESAMPLE SYSTEM 6.7%\\)\n  - id: big.events.customer\n")
        .doesNotContain("events_2025")
        .doesNotContain("events_2026");
    assertThat(yaml(small)).as("same database, same file").isEqualTo(first);
  }

  @Test
  void among_equally_named_parents_the_best_supported_wins() {
    assertThat(yaml(settings("best")))
        .contains(
            "  # best.tasks.stage_id -> best.pipeline_stages.id (names the end of the table's"
                + " name)\n"
                + "  # evidence: 50/50 distinct values (100.0%), 200/200 rows (100.0%) found, in"
                + " the whole table (200 rows)\n"
                + "  # also measured: best.workflow_stages.id 0.0%\n");
  }

  @Test
  void ids_of_other_systems_are_excluded_by_pattern_and_listed() {
    SuggestSettings settings =
        new SuggestSettings(
            List.of("ext"),
            10_000,
            0.9,
            List.of("stripe_*", "legacy_*", "ext.orders.crm_*"),
            Duration.ofSeconds(30));
    Report report = report(settings);
    assertThat(report.proposals())
        .extracting(p -> p.candidate().describe())
        .containsExactly("ext.orders.customer_id -> ext.customers.id");
    assertThat(SuggestionWriter.yaml(report))
        .contains(
            "# Excluded by pattern (ids of other systems; change with --exclude):\n"
                + "#   ext.orders.crm_customer_id (pattern ext.orders.crm_*)\n"
                + "#   ext.orders.legacy_customer_id (pattern legacy_*)\n"
                + "#   ext.orders.stripe_id (pattern stripe_*)\n");
  }

  @Test
  void an_id_unique_only_per_tenant_is_referenced_with_the_tenant() {
    String yaml = yaml(settings("tenant"));
    assertThat(yaml)
        .contains(
            "  - id: tenant.tasks.project\n"
                + "    description: inferred reference tenant.tasks(tenant_id, project_id) ->"
                + " tenant.projects(tenant_id, id)\n"
                + "    kind: orphan\n"
                + "    child:\n"
                + "      table: tenant.tasks\n"
                + "      columns: [tenant_id, project_id]\n"
                + "    parent:\n"
                + "      table: tenant.projects\n"
                + "      columns: [tenant_id, id]\n")
        .contains("    child: tenant.tasks.tenant_id\n    parent: tenant.tenants.id\n");
  }

  @Test
  void a_locked_parent_times_out_and_is_reported_without_evidence() throws Exception {
    try (Connection locker = db.dataSource().getConnection();
        Statement statement = locker.createStatement()) {
      locker.setAutoCommit(false);
      statement.execute("LOCK TABLE slow.parents IN ACCESS EXCLUSIVE MODE");
      SuggestSettings settings =
          new SuggestSettings(List.of("slow"), 10_000, 0.9, List.of(), Duration.ofSeconds(1));
      long started = System.nanoTime();
      String yaml = yaml(settings);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
      assertThat(yaml)
          .contains("audits: []\n")
          .contains(
              "#   slow.children.parent_id -> slow.parents.id (names the table): no evidence could"
                  + " be measured\n"
                  + "#   slow.children.parent_id -> slow.parents.id: the evidence query timed out"
                  + " (raise --timeout or lower --sample-rows)\n");
      locker.rollback();
    }
  }
}
