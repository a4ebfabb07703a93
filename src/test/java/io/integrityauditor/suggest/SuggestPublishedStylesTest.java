package io.integrityauditor.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.CatalogReader;
import io.integrityauditor.support.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Naming styles met on published schemas this project had never seen (a Wagtail/Django site's dump,
 * AdventureWorks for PostgreSQL, the PostgresPro airlines demo, a Prisma application): each written
 * here in tables nobody's rule names, without data, so names alone decide. See docs/suggest.md, "A
 * new user's schemas".
 */
class SuggestPublishedStylesTest {
  static List<String> proposed;

  @BeforeAll
  static void schema() throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_styles");
    db.execute(
        """
        CREATE SCHEMA pub;
        -- Django: app-prefixed tables, many-to-many join tables named after the field
        CREATE TABLE pub.auth_group (id int PRIMARY KEY, name varchar UNIQUE);
        CREATE TABLE pub.auth_user (id int PRIMARY KEY, username varchar UNIQUE);
        CREATE TABLE pub.auth_permission (id int PRIMARY KEY, codename varchar);
        CREATE TABLE pub.auth_user_groups (id int PRIMARY KEY, user_id int, group_id int,
          UNIQUE (user_id, group_id));
        CREATE TABLE pub.cms_restriction (id int PRIMARY KEY);
        CREATE TABLE pub.cms_restriction_groups (id int PRIMARY KEY, restriction_id int,
          group_id int, UNIQUE (restriction_id, group_id));
        CREATE TABLE pub.cms_grouppermission (id int PRIMARY KEY, group_id int, permission_id int);
        -- a role before the end of a table's name; Django's parent link of an inherited model
        CREATE TABLE pub.cms_page (id int PRIMARY KEY, title varchar);
        CREATE TABLE pub.cms_site (id int PRIMARY KEY, root_page_id int);
        CREATE TABLE pub.cms_document (id int PRIMARY KEY, uploaded_by_user_id int);
        CREATE TABLE pub.blog_blogpage (page_ptr_id int PRIMARY KEY, intro varchar);
        CREATE TABLE pub.invites (id int PRIMARY KEY, admin_id int);
        -- Auth.js's account table (Prisma)
        CREATE TABLE pub."Account" (id text PRIMARY KEY, "userId" int, provider text,
          "providerAccountId" text, UNIQUE (provider, "providerAccountId"));
        -- PascalCase names folded to lower case, a role glued before the table's name
        CREATE TABLE pub.address (addressid int PRIMARY KEY);
        CREATE TABLE pub.salesperson (businessentityid int PRIMARY KEY);
        CREATE TABLE pub.currency (currencycode char(3) PRIMARY KEY);
        CREATE TABLE pub.unitmeasure (unitmeasurecode char(3) PRIMARY KEY);
        CREATE TABLE pub.salesorderheader (salesorderid int PRIMARY KEY, billtoaddressid int,
          salespersonid int, tocurrencycode char(3), paid numeric, postcode varchar);
        CREATE TABLE pub.product (productid int PRIMARY KEY, sizeunitmeasurecode char(3));
        -- a per-row guid on every table, unique on one of them
        CREATE TABLE pub.document (node varchar PRIMARY KEY, rowguid uuid UNIQUE);
        CREATE TABLE pub.shipmethod (shipmethodid int PRIMARY KEY, rowguid uuid);
        CREATE TABLE pub.specialoffer (specialofferid int PRIMARY KEY, rowguid uuid);
        CREATE TABLE pub.creditcard (creditcardid int PRIMARY KEY, rowguid uuid);
        CREATE TABLE pub.shift (shiftid int PRIMARY KEY, rowguid uuid);
        CREATE TABLE pub.location (locationid int PRIMARY KEY, rowguid uuid);
        -- a table named with a structural suffix, referenced by role names without a key word
        CREATE SCHEMA air;
        CREATE TABLE air.airports_data (airport_code char(3) PRIMARY KEY, city varchar);
        CREATE TABLE air.flights (flight_id int PRIMARY KEY, departure_airport char(3),
          arrival_airport char(3));
        -- a composite reference to an association table named after the two tables it links;
        -- its raw variant holds the same two references, not one to the association
        CREATE TABLE air.tickets (ticket_no char(13) PRIMARY KEY, book_ref char(6));
        CREATE TABLE air.ticket_flights (ticket_no char(13), flight_id int, amount numeric,
          PRIMARY KEY (ticket_no, flight_id));
        CREATE TABLE air.boarding_passes (ticket_no char(13), flight_id int, boarding_no int,
          PRIMARY KEY (ticket_no, flight_id));
        CREATE TABLE air.ticket_flights_raw (ticket_no char(13), flight_id int, editor int,
          PRIMARY KEY (ticket_no, flight_id, editor));
        -- a supertype chain keyed by one column name (AdventureWorks' businessentityid)
        CREATE SCHEMA chain;
        CREATE TABLE chain.businessentity (businessentityid int PRIMARY KEY);
        CREATE TABLE chain.person (businessentityid int PRIMARY KEY, persontype char(2));
        CREATE TABLE chain.employee (businessentityid int PRIMARY KEY, jobtitle varchar);
        CREATE TABLE chain.salesperson (businessentityid int PRIMARY KEY, bonus numeric);
        CREATE TABLE chain.personphone (businessentityid int, phonenumber varchar,
          PRIMARY KEY (businessentityid, phonenumber));
        CREATE TABLE chain.employeepayhistory (businessentityid int, ratechangedate date,
          PRIMARY KEY (businessentityid, ratechangedate));
        CREATE TABLE chain.salespersonquotahistory (businessentityid int, quotadate date,
          PRIMARY KEY (businessentityid, quotadate));
        CREATE TABLE chain.businessentityaddress (businessentityid int, addresstypeid int,
          PRIMARY KEY (businessentityid, addresstypeid));
        """);
    proposed = proposed(db, List.of("pub", "air", "chain"));
    // Supabase: the application's users (in the search path) beside the platform's auth.users
    TestPostgres.Database platform = TestPostgres.newDatabase("suggest_published_platform");
    platform.execute(
        """
        CREATE SCHEMA auth;
        CREATE TABLE auth.users (id uuid PRIMARY KEY, email text);
        CREATE TABLE public.users (id uuid PRIMARY KEY, username text);
        CREATE TABLE public.messages (id bigint PRIMARY KEY, user_id uuid, message text);
        CREATE SCHEMA tenant_a;
        CREATE SCHEMA tenant_b;
        CREATE TABLE tenant_a.accounts (id int PRIMARY KEY);
        CREATE TABLE tenant_b.accounts (id int PRIMARY KEY);
        CREATE TABLE public.accounts (id int PRIMARY KEY);
        """);
    platformProposed = proposed(platform, List.of("public", "auth", "tenant_a", "tenant_b"));
    // Keycloak: the user entity beside a table of federated users
    TestPostgres.Database keycloak = TestPostgres.newDatabase("suggest_published_keycloak");
    keycloak.execute(
        """
        CREATE TABLE public.user_entity (id varchar(36) PRIMARY KEY, username varchar(255));
        CREATE TABLE public.federated_user (id varchar(255) PRIMARY KEY,
          storage_provider_id varchar(255));
        CREATE TABLE public.credential (id varchar(36) PRIMARY KEY, user_id varchar(36));
        CREATE TABLE public.user_role_mapping (role_id varchar(255), user_id varchar(36),
          PRIMARY KEY (role_id, user_id));
        -- Liquibase's bookkeeping, in every schema it migrates
        CREATE TABLE public.databasechangelog (id varchar(255), author varchar(255),
          filename varchar(255));
        CREATE TABLE public.databasechangeloglock (id int PRIMARY KEY, locked boolean,
          lockedby varchar(255));
        """);
    keycloakProposed = proposed(keycloak, List.of("public"));
    // benchmark schemas (TPC-C, AuctionMark): every column carries its table's short prefix
    TestPostgres.Database prefixed = TestPostgres.newDatabase("suggest_published_prefixed");
    prefixed.execute(
        """
        CREATE TABLE public.region (r_id bigint PRIMARY KEY, r_name varchar(32));
        CREATE TABLE public.useracct (u_id bigint PRIMARY KEY, u_rating bigint,
          u_r_id bigint NOT NULL);
        CREATE TABLE public.item (i_id bigint, i_u_id bigint, i_name varchar(100),
          PRIMARY KEY (i_id, i_u_id));
        CREATE TABLE public.item_image (ii_id bigint, ii_i_id bigint, ii_u_id bigint,
          ii_sattr0 varchar(128), PRIMARY KEY (ii_id, ii_i_id, ii_u_id));
        CREATE TABLE public.warehouse (w_id int PRIMARY KEY, w_name varchar(10));
        CREATE TABLE public.district (d_w_id int, d_id int, d_name varchar(10),
          PRIMARY KEY (d_w_id, d_id));
        CREATE TABLE public.customer (c_w_id int, c_d_id int, c_id int, c_last varchar(16),
          PRIMARY KEY (c_w_id, c_d_id, c_id));
        CREATE TABLE public.oorder (o_w_id int, o_d_id int, o_id int, o_c_id int,
          o_entry_d timestamp, PRIMARY KEY (o_w_id, o_d_id, o_id));
        CREATE TABLE public.new_order (no_w_id int, no_d_id int, no_o_id int,
          PRIMARY KEY (no_w_id, no_d_id, no_o_id));
        CREATE TABLE public.history (h_c_id int, h_c_d_id int, h_c_w_id int, h_d_id int,
          h_w_id int, h_amount numeric(6, 2));
        -- an ordinary table: its columns repeat a longer word, no prefix style
        CREATE TABLE public.tags (tag_id int PRIMARY KEY, tag_name varchar, tag_r_id int);
        """);
    prefixedProposed = proposed(prefixed, List.of("public"));
    // a PHP application's tables behind one namespace (Tiny Tiny RSS), second versions of tables
    // keeping their number
    TestPostgres.Database namespaced = TestPostgres.newDatabase("suggest_published_namespaced");
    namespaced.execute(
        """
        CREATE TABLE public.rss_users (id int PRIMARY KEY, login varchar UNIQUE);
        CREATE TABLE public.rss_settings_profiles (id int PRIMARY KEY, owner_uid int);
        CREATE TABLE public.rss_feeds (id int PRIMARY KEY, owner_uid int, title varchar);
        CREATE TABLE public.rss_archived_feeds (id int PRIMARY KEY, owner_uid int);
        CREATE TABLE public.rss_filter_types (id int PRIMARY KEY, name varchar UNIQUE);
        CREATE TABLE public.rss_filters2 (id int PRIMARY KEY, owner_uid int);
        CREATE TABLE public.rss_filters2_rules (id int PRIMARY KEY, filter_id int,
          filter_type int, feed_id int);
        CREATE TABLE public.rss_labels2 (id int PRIMARY KEY, owner_uid int);
        CREATE TABLE public.rss_user_labels2 (label_id int, article_id int);
        CREATE TABLE public.rss_messages (id int PRIMARY KEY, from_id int, to_id int, body text);
        -- three of ten owners deleted from the users; every one is in the (smaller-keyed) profiles
        INSERT INTO public.rss_users SELECT g, 'u' || g FROM generate_series(1, 7) g;
        INSERT INTO public.rss_settings_profiles SELECT g, 1 FROM generate_series(1, 10) g;
        INSERT INTO public.rss_feeds SELECT g, 1 + g % 10, 't' FROM generate_series(1, 40) g;
        ANALYZE;
        """);
    namespacedProposed = proposed(namespaced, List.of("public"));
    // the seventh session's styles: composite keys carried by name (a scheduler's and a workflow
    // engine's tables), inheritance children, a star schema, OMOP's numbered references, a BPM
    // engine's trailing underscores
    TestPostgres.Database seventh = TestPostgres.newDatabase("suggest_published_seventh");
    seventh.execute(
        """
        CREATE SCHEMA sched;
        CREATE TABLE sched.qz_job_details (sched_name varchar(120), job_name varchar(200),
          job_group varchar(200), job_class_name varchar(250),
          PRIMARY KEY (sched_name, job_name, job_group));
        CREATE TABLE sched.qz_triggers (sched_name varchar(120), trigger_name varchar(200),
          trigger_group varchar(200), job_name varchar(200), job_group varchar(200),
          PRIMARY KEY (sched_name, trigger_name, trigger_group));
        CREATE TABLE sched.qz_simple_triggers (sched_name varchar(120),
          trigger_name varchar(200), trigger_group varchar(200), repeat_count bigint,
          PRIMARY KEY (sched_name, trigger_name, trigger_group));
        CREATE TABLE sched.qz_cron_triggers (sched_name varchar(120), trigger_name varchar(200),
          trigger_group varchar(200), cron_expression varchar(120),
          PRIMARY KEY (sched_name, trigger_name, trigger_group));
        CREATE TABLE sched.qz_paused_trigger_grps (sched_name varchar(120),
          trigger_group varchar(200), PRIMARY KEY (sched_name, trigger_group));
        CREATE SCHEMA wf;
        CREATE TABLE wf.namespaces (partition_id int, id bytea, name varchar(255) UNIQUE,
          PRIMARY KEY (partition_id, id));
        CREATE TABLE wf.executions (shard_id int, namespace_id bytea, workflow_id varchar(255),
          run_id bytea, next_event_id bigint,
          PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id));
        CREATE TABLE wf.buffered_events (shard_id int, namespace_id bytea,
          workflow_id varchar(255), run_id bytea, id bigint UNIQUE,
          PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id, id));
        CREATE TABLE wf.current_executions (shard_id int, namespace_id bytea,
          workflow_id varchar(255), run_id bytea,
          PRIMARY KEY (shard_id, namespace_id, workflow_id));
        CREATE TABLE wf.activity_info_maps (shard_id int, namespace_id bytea,
          workflow_id varchar(255), run_id bytea, schedule_id bigint,
          PRIMARY KEY (shard_id, namespace_id, workflow_id, run_id, schedule_id));
        CREATE TABLE wf.transfer_queue (shard_id int, seq bigint, PRIMARY KEY (shard_id, seq));
        CREATE TABLE wf.replication_dlq (source_cluster_name varchar(255), shard_id int,
          seq bigint, PRIMARY KEY (source_cluster_name, shard_id, seq));
        CREATE TABLE wf.summary_queue (shard_id int, run_id bytea,
          PRIMARY KEY (shard_id, run_id));
        CREATE TABLE wf.user_entries (id int PRIMARY KEY, shard_id int, run_id bytea);
        CREATE TABLE wf.regions (partition_id int, id int, PRIMARY KEY (partition_id, id));
        CREATE TABLE wf.stores (id int PRIMARY KEY, region_id int);
        -- a multi-tenant schema: every table keyed (tenant_id, id)
        CREATE SCHEMA ten;
        CREATE TABLE ten.projects (tenant_id int, id int, PRIMARY KEY (tenant_id, id));
        CREATE TABLE ten.boards (tenant_id int, id int, PRIMARY KEY (tenant_id, id));
        CREATE SCHEMA inh;
        CREATE TABLE inh.members (id int PRIMARY KEY);
        CREATE TABLE inh.pins (id int PRIMARY KEY);
        CREATE TABLE inh.favorites (id int PRIMARY KEY, member_id int, pin_id int);
        CREATE TABLE inh.favorites_0 () INHERITS (inh.favorites);
        CREATE TABLE inh.favorites_1 (source_pin_id int) INHERITS (inh.favorites);
        CREATE SCHEMA dw;
        CREATE TABLE dw.dim_date (date_key int PRIMARY KEY, full_date date UNIQUE);
        CREATE TABLE dw.dim_account (account_key int PRIMARY KEY, parent_account_key int);
        CREATE TABLE dw.fact_sales (order_date_key int, ship_date_key int, account_key int,
          amount numeric);
        CREATE SCHEMA cdm;
        CREATE TABLE cdm.concept (concept_id int PRIMARY KEY, concept_name varchar(255));
        CREATE TABLE cdm.relationship (relationship_id varchar(20) PRIMARY KEY);
        CREATE TABLE cdm.concept_relationship (concept_id_1 int, concept_id_2 int,
          relationship_id varchar(20));
        CREATE TABLE cdm.fact_relationship (domain_concept_id_1 int, fact_id_1 int,
          domain_concept_id_2 int, fact_id_2 int);
        -- an image board's moderation (Danbooru): the doer of a ban, a note's version number
        CREATE SCHEMA board;
        CREATE TABLE board.users (id int PRIMARY KEY, name text);
        CREATE TABLE board.bans (id int PRIMARY KEY, user_id int, banner_id int, reason text);
        CREATE TABLE board.notes (id int PRIMARY KEY, creator_id int, version int DEFAULT 0);
        CREATE TABLE board.note_versions (id int PRIMARY KEY, note_id int, updater_id int,
          version int);
        CREATE SCHEMA bpm;
        CREATE TABLE bpm.act_ge_property (name_ varchar(64) PRIMARY KEY, value_ varchar(300));
        CREATE TABLE bpm.act_re_procdef (id_ varchar(64) PRIMARY KEY, name_ varchar(255));
        CREATE TABLE bpm.act_ru_incident (id_ varchar(64) PRIMARY KEY,
          cause_incident_id_ varchar(64), proc_def_id_ varchar(64), name_ varchar(255));
        """);
    seventhReport =
        report(seventh, List.of("sched", "wf", "ten", "inh", "dw", "cdm", "board", "bpm"));
    seventhProposed =
        seventhReport.proposals().stream().map(p -> p.candidate().describe()).toList();
  }

  static Report seventhReport;
  static List<String> seventhProposed;

  @Test
  void a_child_carrying_a_tables_whole_composite_key_by_name_references_it() {
    assertThat(seventhProposed)
        .contains(
            "sched.qz_triggers(sched_name, job_name, job_group)"
                + " -> sched.qz_job_details(sched_name, job_name, job_group)",
            "sched.qz_simple_triggers(sched_name, trigger_name, trigger_group)"
                + " -> sched.qz_triggers(sched_name, trigger_name, trigger_group)",
            "sched.qz_cron_triggers(sched_name, trigger_name, trigger_group)"
                + " -> sched.qz_triggers(sched_name, trigger_name, trigger_group)",
            "wf.activity_info_maps(shard_id, namespace_id, workflow_id, run_id)"
                + " -> wf.executions(shard_id, namespace_id, workflow_id, run_id)",
            "wf.current_executions(shard_id, namespace_id, workflow_id, run_id)"
                + " -> wf.executions(shard_id, namespace_id, workflow_id, run_id)")
        // a key inside the child's own key but not leading it; a sibling keyed alike; the
        // parent extended; a kind of the child named like it plus a word
        .noneMatch(p -> p.contains("-> sched.qz_paused_trigger_grps"))
        .noneMatch(p -> p.contains("-> sched.qz_cron_triggers"))
        .noneMatch(p -> p.contains("-> sched.qz_simple_triggers"))
        .noneMatch(p -> p.contains("-> wf.current_executions"))
        .noneMatch(p -> p.contains("-> wf.transfer_queue"))
        // held outside its own key, by columns and a table name that say nothing of the parent
        .noneMatch(p -> p.contains("-> wf.summary_queue"))
        // (tenant_id, id) is every table's key in a multi-tenant schema
        .noneMatch(p -> p.startsWith("ten."));
  }

  @Test
  void the_doer_of_a_tables_action_is_a_person_and_counters_and_back_pointers_are_no_references() {
    assertThat(seventhProposed)
        .contains(
            "board.bans.banner_id -> board.users.id",
            "board.note_versions.note_id -> board.notes.id",
            "wf.buffered_events(shard_id, namespace_id, workflow_id, run_id)"
                + " -> wf.executions(shard_id, namespace_id, workflow_id, run_id)")
        // a version number, not a row of note_versions
        .noneMatch(p -> p.startsWith("board.notes.version "))
        // the next event's number: buffered_events carries the execution's key, it is its child
        .noneMatch(p -> p.startsWith("wf.executions.next_event_id "));
  }

  @Test
  void every_column_named_like_a_reference_is_proposed_or_listed_with_the_reason() {
    List<String> unmatched =
        seventhReport.unmatched().stream()
            .map(u -> u.column().describe() + ": " + u.reason())
            .toList();
    assertThat(unmatched)
        .anyMatch(u -> u.startsWith("wf.executions.namespace_id: stored as bytea"))
        .anyMatch(
            u ->
                u.startsWith(
                    "wf.stores.region_id: names wf.regions, keyed by (partition_id, id);"
                        + " this table has no partition_id"))
        // carried by the composite reference to executions: not listed as unmatched
        .noneMatch(u -> u.startsWith("wf.activity_info_maps.namespace_id"));
  }

  @Test
  void an_inheritance_childs_inherited_columns_are_audited_through_its_parent() {
    assertThat(seventhProposed)
        .contains(
            "inh.favorites.member_id -> inh.members.id",
            "inh.favorites.pin_id -> inh.pins.id",
            // a child's own column is its own
            "inh.favorites_1.source_pin_id -> inh.pins.id")
        .noneMatch(p -> p.startsWith("inh.favorites_0."))
        .noneMatch(
            p ->
                p.startsWith("inh.favorites_1.member_id")
                    || p.startsWith("inh.favorites_1.pin_id"));
  }

  @Test
  void a_key_named_like_the_column_without_its_role_words_is_the_parents_key() {
    assertThat(seventhProposed)
        .contains(
            "dw.fact_sales.order_date_key -> dw.dim_date.date_key",
            "dw.fact_sales.ship_date_key -> dw.dim_date.date_key",
            "dw.fact_sales.account_key -> dw.dim_account.account_key",
            "dw.dim_account.parent_account_key -> dw.dim_account.account_key");
  }

  @Test
  void a_number_after_the_key_word_tells_two_references_to_one_table_apart() {
    assertThat(seventhProposed)
        .contains(
            "cdm.concept_relationship.concept_id_1 -> cdm.concept.concept_id",
            "cdm.concept_relationship.concept_id_2 -> cdm.concept.concept_id",
            "cdm.fact_relationship.domain_concept_id_1 -> cdm.concept.concept_id",
            "cdm.fact_relationship.domain_concept_id_2 -> cdm.concept.concept_id");
  }

  @Test
  void trailing_underscores_and_table_names_that_glue_the_columns_words() {
    assertThat(seventhProposed)
        .contains(
            "bpm.act_ru_incident.proc_def_id_ -> bpm.act_re_procdef.id_",
            "bpm.act_ru_incident.cause_incident_id_ -> bpm.act_ru_incident.id_")
        // name_ is a generic key however it is spelled
        .noneMatch(p -> p.contains(".name_ ->"));
  }

  static List<String> namespacedProposed;

  @Test
  void an_applications_namespace_and_a_tables_version_number_are_not_part_of_what_it_is_called() {
    assertThat(namespacedProposed)
        .contains(
            // named after the namespace: the entity, not the archive of it
            "public.rss_filters2_rules.feed_id -> public.rss_feeds.id",
            // without a key word, the table named so after the namespace
            "public.rss_filters2_rules.filter_type -> public.rss_filter_types.id",
            // filters2 is the filters table, second version; an integer filter_type beside
            // filter_id is no polymorphic pair (a type column holds class names)
            "public.rss_filters2_rules.filter_id -> public.rss_filters2.id",
            "public.rss_user_labels2.label_id -> public.rss_labels2.id")
        .noneMatch(p -> p.endsWith("-> public.rss_archived_feeds.id"));
  }

  @Test
  void a_messages_from_and_to_are_its_sender_and_recipient() {
    assertThat(namespacedProposed)
        .contains(
            "public.rss_messages.from_id -> public.rss_users.id",
            "public.rss_messages.to_id -> public.rss_users.id");
  }

  @Test
  void a_uid_is_a_users_id_even_when_another_table_of_people_covers_it_better() {
    // with 30% of the users gone, profiles' ids 1..10 cover every owner: the key word decides
    assertThat(namespacedProposed)
        .contains(
            "public.rss_feeds.owner_uid -> public.rss_users.id",
            "public.rss_archived_feeds.owner_uid -> public.rss_users.id")
        .noneMatch(p -> p.endsWith("owner_uid -> public.rss_settings_profiles.id"));
  }

  static List<String> prefixedProposed;

  @Test
  void columns_prefixed_with_their_tables_abbreviation_name_the_prefixed_key_they_reference() {
    assertThat(prefixedProposed)
        .contains(
            "public.useracct.u_r_id -> public.region.r_id",
            "public.item.i_u_id -> public.useracct.u_id",
            "public.item_image(ii_i_id, ii_u_id) -> public.item(i_id, i_u_id)",
            "public.district.d_w_id -> public.warehouse.w_id",
            "public.customer(c_w_id, c_d_id) -> public.district(d_w_id, d_id)",
            "public.oorder(o_w_id, o_d_id, o_c_id) -> public.customer(c_w_id, c_d_id, c_id)",
            "public.new_order(no_w_id, no_d_id, no_o_id) -> public.oorder(o_w_id, o_d_id, o_id)",
            "public.history(h_c_w_id, h_c_d_id, h_c_id) -> public.customer(c_w_id, c_d_id, c_id)",
            "public.history(h_w_id, h_d_id) -> public.district(d_w_id, d_id)")
        // a part of a larger reference is that reference, seen partly
        .noneMatch(p -> p.startsWith("public.new_order(no_w_id, no_d_id) "))
        .noneMatch(p -> p.startsWith("public.customer.c_w_id "))
        // tag_ is a word of its own table's name, not an abbreviation: no prefix style
        .noneMatch(p -> p.startsWith("public.tags.") && p.endsWith("-> public.region.r_id"));
  }

  static List<String> keycloakProposed;

  @Test
  void a_table_named_like_the_column_plus_a_structural_suffix_is_the_entity_not_a_kind_of_it() {
    assertThat(keycloakProposed)
        .contains(
            "public.credential.user_id -> public.user_entity.id",
            "public.user_role_mapping.user_id -> public.user_entity.id")
        .noneMatch(p -> p.endsWith("-> public.federated_user.id"));
  }

  @Test
  void a_migration_tools_bookkeeping_holds_no_reference() {
    assertThat(keycloakProposed).noneMatch(p -> p.startsWith("public.databasechangelog"));
  }

  static List<String> platformProposed;

  private static List<String> proposed(TestPostgres.Database db, List<String> schemas)
      throws SQLException {
    return report(db, schemas).proposals().stream().map(p -> p.candidate().describe()).toList();
  }

  private static Report report(TestPostgres.Database db, List<String> schemas) throws SQLException {
    SuggestSettings settings =
        new SuggestSettings(
            schemas,
            SuggestSettings.DEFAULT_SAMPLE_ROWS,
            SuggestSettings.DEFAULT_MIN_COVERAGE,
            SuggestSettings.DEFAULT_EXCLUDES,
            SuggestSettings.DEFAULT_TIMEOUT);
    Report report;
    try (Connection connection = db.dataSource().getConnection()) {
      Catalog catalog = CatalogReader.read(connection);
      report = Suggester.report("app", catalog, connection, settings);
    }
    return report;
  }

  @Test
  void two_columns_holding_an_association_tables_whole_key_are_one_composite_reference() {
    assertThat(proposed)
        .contains(
            "air.boarding_passes(ticket_no, flight_id) -> air.ticket_flights(ticket_no, flight_id)",
            "air.ticket_flights.ticket_no -> air.tickets.ticket_no",
            "air.ticket_flights.flight_id -> air.flights.flight_id",
            // a raw variant of the association holds the association's references
            "air.ticket_flights_raw.ticket_no -> air.tickets.ticket_no",
            "air.ticket_flights_raw.flight_id -> air.flights.flight_id")
        .noneMatch(p -> p.startsWith("air.boarding_passes.ticket_no "))
        .noneMatch(p -> p.startsWith("air.boarding_passes.flight_id "))
        .noneMatch(
            p -> p.startsWith("air.ticket_flights(") || p.startsWith("air.ticket_flights_raw("));
  }

  @Test
  void a_key_name_shared_along_a_supertype_chain_points_at_the_subtype_the_child_is_named_after() {
    assertThat(proposed)
        .contains(
            "chain.personphone.businessentityid -> chain.person.businessentityid",
            "chain.employeepayhistory.businessentityid -> chain.employee.businessentityid",
            "chain.salespersonquotahistory.businessentityid"
                + " -> chain.salesperson.businessentityid",
            "chain.businessentityaddress.businessentityid"
                + " -> chain.businessentity.businessentityid");
  }

  @Test
  void a_table_keyed_like_its_namesake_outside_the_search_path_extends_it() {
    assertThat(platformProposed)
        .contains("public.users.id -> auth.users.id", "public.messages.user_id -> public.users.id")
        // the same name in several other schemas says nothing about which is extended
        .noneMatch(p -> p.startsWith("public.accounts.id "))
        .noneMatch(p -> p.startsWith("auth.users.id "));
  }

  @Test
  void a_reference_points_at_the_entity_not_at_a_join_table_that_holds_the_same_column() {
    assertThat(proposed)
        .contains(
            "pub.auth_user_groups.group_id -> pub.auth_group.id",
            "pub.cms_restriction_groups.group_id -> pub.auth_group.id",
            "pub.cms_grouppermission.group_id -> pub.auth_group.id",
            "pub.cms_grouppermission.permission_id -> pub.auth_permission.id")
        .noneMatch(p -> p.endsWith("_groups.id"));
  }

  @Test
  void a_role_before_the_end_of_a_tables_name_and_djangos_parent_link_find_that_table() {
    assertThat(proposed)
        .contains(
            "pub.cms_site.root_page_id -> pub.cms_page.id",
            "pub.cms_document.uploaded_by_user_id -> pub.auth_user.id",
            "pub.blog_blogpage.page_ptr_id -> pub.cms_page.id",
            "pub.invites.admin_id -> pub.auth_user.id")
        .doesNotContain("pub.cms_site.root_page_id -> pub.cms_site.id");
  }

  @Test
  void folded_pascal_case_names_are_read_as_a_table_name_and_its_key_word() {
    assertThat(proposed)
        .contains(
            "pub.salesorderheader.billtoaddressid -> pub.address.addressid",
            "pub.salesorderheader.salespersonid -> pub.salesperson.businessentityid",
            "pub.salesorderheader.tocurrencycode -> pub.currency.currencycode",
            "pub.product.sizeunitmeasurecode -> pub.unitmeasure.unitmeasurecode")
        .noneMatch(p -> p.contains(".paid ") || p.contains(".postcode "));
  }

  @Test
  void the_oauth_providers_account_id_is_an_id_of_another_system() {
    assertThat(proposed)
        .contains("pub.Account.userId -> pub.auth_user.id")
        .noneMatch(p -> p.contains("providerAccountId"));
  }

  @Test
  void a_column_every_table_has_is_no_reference_to_the_one_table_where_it_is_unique() {
    assertThat(proposed).noneMatch(p -> p.contains(".rowguid "));
  }

  @Test
  void a_role_word_without_a_key_word_finds_a_table_named_with_a_structural_suffix() {
    assertThat(proposed)
        .contains(
            "air.flights.departure_airport -> air.airports_data.airport_code",
            "air.flights.arrival_airport -> air.airports_data.airport_code");
  }

  // the eighth session's styles (docs/suggest.md, "fifth round"): TPC-H's glued key names, MIMIC's
  // dictionaries keyed alike in two schemas, a multi-tenant schema's shared tenant column, a role
  // that cannot read a schema

  @Test
  void a_key_word_glued_to_the_tables_name_after_each_tables_prefix_names_that_key()
      throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_glued");
    db.execute(
        """
        CREATE TABLE public.region (r_regionkey int PRIMARY KEY, r_name char(25));
        CREATE TABLE public.nation (n_nationkey int PRIMARY KEY, n_name char(25),
          n_regionkey int);
        CREATE TABLE public.customer (c_custkey int PRIMARY KEY, c_name varchar(25),
          c_nationkey int);
        CREATE TABLE public.orders (o_orderkey int PRIMARY KEY, o_custkey int, o_orderdate date);
        CREATE TABLE public.part (p_partkey int PRIMARY KEY, p_name varchar(55));
        CREATE TABLE public.supplier (s_suppkey int PRIMARY KEY, s_nationkey int);
        CREATE TABLE public.partsupp (ps_partkey int, ps_suppkey int, ps_availqty int,
          PRIMARY KEY (ps_partkey, ps_suppkey));
        CREATE TABLE public.lineitem (l_orderkey int, l_partkey int, l_suppkey int,
          l_linenumber int, PRIMARY KEY (l_orderkey, l_linenumber));
        """);
    assertThat(proposed(db, List.of("public")))
        .containsExactlyInAnyOrder(
            "public.nation.n_regionkey -> public.region.r_regionkey",
            "public.customer.c_nationkey -> public.nation.n_nationkey",
            "public.supplier.s_nationkey -> public.nation.n_nationkey",
            "public.orders.o_custkey -> public.customer.c_custkey",
            "public.partsupp.ps_partkey -> public.part.p_partkey",
            "public.partsupp.ps_suppkey -> public.supplier.s_suppkey",
            "public.lineitem.l_orderkey -> public.orders.o_orderkey",
            // the pair is partsupp's whole key: one reference, not two
            "public.lineitem(l_partkey, l_suppkey) -> public.partsupp(ps_partkey, ps_suppkey)");
  }

  @Test
  void a_key_name_that_fits_one_table_of_the_childs_schema_is_strong_even_with_broken_data()
      throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_dictionaries");
    db.execute(
        """
        CREATE SCHEMA hosp;
        CREATE SCHEMA icu;
        CREATE TABLE hosp.d_labitems (itemid int PRIMARY KEY, label text);
        CREATE TABLE icu.d_items (itemid int PRIMARY KEY, label text);
        CREATE TABLE icu.chartevents (charttime timestamp, itemid int, value text);
        -- cd: code, as legacy and clinical schemas abbreviate it
        CREATE TABLE hosp.d_hcpcs (code char(5) PRIMARY KEY, short_description varchar(180));
        CREATE TABLE hosp.hcpcsevents (chartdate timestamp, hcpcs_cd char(5), seq_num int);
        -- the laboratory's items are numbered apart; 30% of the ICU's items deleted
        INSERT INTO hosp.d_labitems SELECT 50000 + g, 'l' FROM generate_series(1, 50) g;
        INSERT INTO icu.d_items SELECT g, 'i' FROM generate_series(1, 50) g WHERE g % 10 >= 3;
        INSERT INTO icu.chartevents
          SELECT timestamp '2024-01-01' + g * interval '1 hour', 1 + g % 50, 'v'
          FROM generate_series(1, 200) g;
        ANALYZE;
        """);
    Report report = report(db, List.of("hosp", "icu"));
    assertThat(report.proposals())
        .filteredOn(p -> p.candidate().describe().startsWith("icu.chartevents.itemid "))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.candidate().describe())
                  .isEqualTo("icu.chartevents.itemid -> icu.d_items.itemid");
              assertThat(p.broken()).isTrue();
            });
    assertThat(report.proposals().stream().map(p -> p.candidate().describe()))
        .contains("hosp.hcpcsevents.hcpcs_cd -> hosp.d_hcpcs.code");
  }

  @Test
  void a_word_pointing_back_at_its_own_table_is_no_abbreviation_of_another_tables_name()
      throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_self_words");
    db.execute(
        """
        CREATE TABLE public.images (id int PRIMARY KEY, duplicate_id int, title text);
        CREATE TABLE public.duplicate_reports (id int PRIMARY KEY, image_id int,
          duplicate_of_image_id int, reason text);
        """);
    assertThat(proposed(db, List.of("public")))
        .contains("public.images.duplicate_id -> public.images.id")
        .noneMatch(p -> p.startsWith("public.images.duplicate_id -> public.duplicate_reports"));
  }

  @Test
  void a_tenant_column_in_every_key_is_shared_by_the_composite_references_not_borrowed()
      throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_tenant");
    db.execute(
        """
        CREATE SCHEMA zauth;
        CREATE TABLE zauth.users (id text, instance_id text, username text,
          PRIMARY KEY (id, instance_id));
        CREATE TABLE zauth.idp_configs (idp_config_id text, instance_id text, name text,
          PRIMARY KEY (idp_config_id, instance_id));
        CREATE TABLE zauth.user_external_idps (external_user_id text, idp_config_id text,
          user_id text, instance_id text,
          PRIMARY KEY (external_user_id, idp_config_id, instance_id));
        CREATE TABLE zauth.user_sessions (id text, user_id text, user_agent_id text,
          instance_id text, PRIMARY KEY (id, instance_id));
        """);
    Report report = report(db, List.of("zauth"));
    assertThat(report.proposals().stream().map(p -> p.candidate().describe()))
        .contains(
            "zauth.user_external_idps(idp_config_id, instance_id)"
                + " -> zauth.idp_configs(idp_config_id, instance_id)",
            "zauth.user_external_idps(user_id, instance_id) -> zauth.users(id, instance_id)",
            "zauth.user_sessions(user_id, instance_id) -> zauth.users(id, instance_id)");
    // a browser's user agent is software, not a person
    assertThat(SuggestionWriter.yaml(report)).doesNotContain("user_agent_id ->");
  }

  @Test
  void a_schema_the_role_cannot_read_is_named_once_with_the_grants_and_each_column_listed_once()
      throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_unreadable");
    db.execute(
        """
        CREATE SCHEMA auth;
        CREATE TABLE auth.users (id int PRIMARY KEY);
        CREATE TABLE auth.tokens (id int PRIMARY KEY, user_id int);
        CREATE TABLE public.projects (id int PRIMARY KEY);
        CREATE TABLE public.tasks (id int PRIMARY KEY, project_id int);
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'suggest_public_only') THEN
            CREATE ROLE suggest_public_only LOGIN;
          END IF;
        END $$;
        GRANT USAGE ON SCHEMA public TO suggest_public_only;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO suggest_public_only;
        """);
    Report report;
    try (Connection connection =
        java.sql.DriverManager.getConnection(db.url(), "suggest_public_only", "")) {
      Catalog catalog = CatalogReader.read(connection);
      report = Suggester.report("app", catalog, connection, SuggestSettings.defaults());
    }
    String grants =
        "GRANT USAGE ON SCHEMA \"auth\" TO \"suggest_public_only\"; GRANT SELECT ON ALL TABLES"
            + " IN SCHEMA \"auth\" TO \"suggest_public_only\";";
    assertThat(report.unreadableWarnings())
        .singleElement()
        .asString()
        .startsWith(
            "role suggest_public_only cannot read schema auth (2 tables), so none of its"
                + " columns could be measured; grant it: "
                + grants);
    String yaml = SuggestionWriter.yaml(report);
    assertThat(yaml)
        .contains("# Warning: role suggest_public_only cannot read schema auth")
        .containsOnlyOnce("auth.tokens.user_id ->")
        .contains(
            "auth.tokens.user_id -> auth.users.id (names the table): not measured: role"
                + " suggest_public_only cannot read schema auth")
        .doesNotContain("permission denied")
        .doesNotContain("no evidence could be measured");
    // the readable schema is measured as ever
    assertThat(report.proposals().stream().map(p -> p.candidate().describe()))
        .containsExactly("public.tasks.project_id -> public.projects.id");
  }

  @Test
  void a_polymorphic_reference_into_tables_keyed_with_a_tenant_column_reads_both_columns()
      throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_tenant_events");
    db.execute(
        """
        CREATE SCHEMA ev;
        CREATE TABLE ev.users (id text, instance_id text, PRIMARY KEY (id, instance_id));
        CREATE TABLE ev.orgs (id text, instance_id text, PRIMARY KEY (id, instance_id));
        CREATE TABLE ev.events (instance_id text, aggregate_type text, aggregate_id text,
          sequence bigint, PRIMARY KEY (instance_id, aggregate_type, aggregate_id, sequence));
        INSERT INTO ev.users SELECT 'u' || g, 'inst-' || (g % 2) FROM generate_series(1, 20) g;
        INSERT INTO ev.orgs SELECT 'o' || g, 'inst-' || (g % 2) FROM generate_series(1, 10) g;
        INSERT INTO ev.events
          SELECT u.instance_id, 'user', u.id, s FROM ev.users u, generate_series(1, 3) s;
        INSERT INTO ev.events
          SELECT o.instance_id, 'org', o.id, s FROM ev.orgs o, generate_series(1, 3) s;
        -- user u1 lives in inst-1: this event of inst-0 has no user, though the id exists
        INSERT INTO ev.events VALUES ('inst-0', 'user', 'u1', 1);
        ANALYZE;
        """);
    String yaml = SuggestionWriter.yaml(report(db, List.of("ev")));
    assertThat(yaml)
        .contains("    kind: polymorphic\n")
        .contains("    id_columns: [aggregate_id, instance_id]\n")
        .contains("      user: {table: ev.users, columns: [id, instance_id]}\n")
        .contains("      org: {table: ev.orgs, columns: [id, instance_id]}\n")
        // measured on both columns: the id alone is found in the other instance
        .contains("user -> ev.users(id, instance_id): 20/21 distinct values")
        .doesNotContain("id_column: aggregate_id");
  }

  @Test
  void the_parent_of_a_row_beside_a_table_of_its_groups_is_a_group() throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_groups");
    db.execute(
        """
        CREATE TABLE public.guac_connection_group (connection_group_id int PRIMARY KEY,
          parent_id int, connection_group_name varchar(128));
        CREATE TABLE public.guac_connection (connection_id int PRIMARY KEY, parent_id int,
          connection_name varchar(128));
        CREATE TABLE public.folders (id int PRIMARY KEY, parent_id int);
        """);
    assertThat(proposed(db, List.of("public")))
        .contains(
            "public.guac_connection.parent_id"
                + " -> public.guac_connection_group.connection_group_id",
            "public.guac_connection_group.parent_id"
                + " -> public.guac_connection_group.connection_group_id",
            "public.folders.parent_id -> public.folders.id")
        .noneMatch(
            p -> p.startsWith("public.guac_connection.parent_id -> public.guac_connection."));
  }

  @Test
  void an_id_points_at_the_one_unique_key_of_a_table_without_a_primary_key_and_next_at_its_own()
      throws SQLException {
    // Synapse: users are keyed by a unique name (@alice:example.org), never by an id
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_unique_name");
    db.execute(
        """
        CREATE TABLE public.users (name text, password_hash text, creation_ts bigint,
          UNIQUE (name));
        CREATE TABLE public.rooms (room_id text PRIMARY KEY, creator text);
        CREATE TABLE public.room_memberships (event_id text PRIMARY KEY, user_id text,
          room_id text, membership text);
        -- a chain of refresh tokens beside a table of access tokens
        CREATE TABLE public.access_tokens (id bigint PRIMARY KEY, token text);
        CREATE TABLE public.refresh_tokens (id bigint PRIMARY KEY, token text,
          next_token_id bigint);
        """);
    assertThat(proposed(db, List.of("public")))
        .contains(
            "public.room_memberships.user_id -> public.users.name",
            "public.room_memberships.room_id -> public.rooms.room_id",
            "public.refresh_tokens.next_token_id -> public.refresh_tokens.id")
        .noneMatch(p -> p.startsWith("public.refresh_tokens.next_token_id -> public.access"));
  }

  @Test
  void a_surrogate_key_named_after_its_thing_is_referenced_by_role_and_short_name_in_each_prefix()
      throws SQLException {
    // TPC-DS: every column carries its table's short prefix, keys end in _sk (surrogate key)
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_surrogate_keys");
    db.execute(
        """
        CREATE TABLE public.date_dim (d_date_sk int PRIMARY KEY, d_date_id char(16), d_year int);
        CREATE TABLE public.item (i_item_sk int PRIMARY KEY, i_item_id char(16), i_brand_id int);
        CREATE TABLE public.customer_address (ca_address_sk int PRIMARY KEY,
          ca_address_id char(16), ca_city varchar(60));
        CREATE TABLE public.customer_demographics (cd_demo_sk int PRIMARY KEY,
          cd_gender char(1));
        CREATE TABLE public.household_demographics (hd_demo_sk int PRIMARY KEY,
          hd_buy_potential char(15));
        CREATE TABLE public.catalog_page (cp_catalog_page_sk int PRIMARY KEY,
          cp_start_date_sk int, cp_type varchar(100));
        CREATE TABLE public.web_page (wp_web_page_sk int PRIMARY KEY, wp_creation_date_sk int,
          wp_url varchar(100));
        CREATE TABLE public.web_site (web_site_sk int PRIMARY KEY, web_open_date_sk int,
          web_name varchar(50));
        CREATE TABLE public.customer (c_customer_sk int PRIMARY KEY, c_current_addr_sk int,
          c_current_cdemo_sk int, c_first_sales_date_sk int);
        CREATE TABLE public.web_sales (ws_sold_date_sk int, ws_item_sk int, ws_bill_customer_sk int,
          ws_bill_hdemo_sk int, ws_ship_addr_sk int, ws_web_site_sk int, ws_order_number int,
          PRIMARY KEY (ws_item_sk, ws_order_number));
        """);
    assertThat(proposed(db, List.of("public")))
        .contains(
            "public.web_sales.ws_sold_date_sk -> public.date_dim.d_date_sk",
            "public.web_sales.ws_item_sk -> public.item.i_item_sk",
            "public.web_sales.ws_bill_customer_sk -> public.customer.c_customer_sk",
            "public.web_sales.ws_bill_hdemo_sk -> public.household_demographics.hd_demo_sk",
            "public.web_sales.ws_ship_addr_sk -> public.customer_address.ca_address_sk",
            "public.web_sales.ws_web_site_sk -> public.web_site.web_site_sk",
            "public.customer.c_current_addr_sk -> public.customer_address.ca_address_sk",
            "public.customer.c_current_cdemo_sk -> public.customer_demographics.cd_demo_sk",
            "public.customer.c_first_sales_date_sk -> public.date_dim.d_date_sk",
            "public.catalog_page.cp_start_date_sk -> public.date_dim.d_date_sk",
            "public.web_page.wp_creation_date_sk -> public.date_dim.d_date_sk",
            "public.web_site.web_open_date_sk -> public.date_dim.d_date_sk")
        // a table's own key is its identifier, not a row of a table named alike
        .noneMatch(p -> p.startsWith("public.customer_demographics.cd_demo_sk ->"))
        .noneMatch(p -> p.startsWith("public.catalog_page.cp_catalog_page_sk ->"))
        .noneMatch(p -> p.startsWith("public.web_page.wp_web_page_sk ->"));
  }

  @Test
  void a_unique_columns_name_after_a_role_word_points_at_that_column() throws SQLException {
    // USDA's nutrient database: the food a missing value was computed from
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_role_same_key");
    db.execute(
        """
        CREATE TABLE public.food_desc (ndb_no char(5) PRIMARY KEY, long_desc varchar(200));
        CREATE TABLE public.nutr_def (nutr_no char(4) PRIMARY KEY, units varchar(7));
        CREATE TABLE public.nut_data (ndb_no char(5), nutr_no char(3), ref_ndb_no char(5),
          nutr_val numeric(13,3), PRIMARY KEY (ndb_no, nutr_no));
        """);
    assertThat(proposed(db, List.of("public")))
        .contains(
            "public.nut_data.ndb_no -> public.food_desc.ndb_no",
            "public.nut_data.ref_ndb_no -> public.food_desc.ndb_no");
  }

  @Test
  void a_column_named_after_the_reference_and_the_parents_key_column_completes_a_composite_one()
      throws SQLException {
    // Ghostfolio (Prisma): an account is keyed (id, userId); an order names its account's user
    // accountUserId beside its own userId, and that column is no reference of its own
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_prisma_composite");
    db.execute(
        """
        CREATE TABLE public."User" (id text PRIMARY KEY);
        CREATE TABLE public."Account" (id text, "userId" text, name text,
          PRIMARY KEY (id, "userId"));
        CREATE TABLE public."Order" (id text PRIMARY KEY, "accountId" text,
          "accountUserId" text, "userId" text NOT NULL);
        CREATE TABLE public."AccountBalance" (id text PRIMARY KEY, "accountId" text NOT NULL,
          "userId" text NOT NULL);
        """);
    assertThat(proposed(db, List.of("public")))
        .contains(
            "public.Order(accountId, accountUserId) -> public.Account(id, userId)",
            "public.Order.userId -> public.User.id",
            "public.AccountBalance(accountId, userId) -> public.Account(id, userId)")
        .doesNotContain(
            "public.Order(accountId, userId) -> public.Account(id, userId)",
            "public.Order.accountUserId -> public.User.id");
  }

  @Test
  void
      prismas_implicit_many_to_many_table_points_a_at_the_first_table_its_name_lists_and_b_at_the_second()
          throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_prisma_m2m");
    db.execute(
        """
        CREATE TABLE public."Order" (id text PRIMARY KEY);
        CREATE TABLE public."Tag" (id text PRIMARY KEY, name text);
        CREATE TABLE public."User" (id text PRIMARY KEY);
        CREATE TABLE public."SymbolProfile" (id text PRIMARY KEY);
        CREATE TABLE public."_OrderToTag" ("A" text NOT NULL, "B" text NOT NULL,
          PRIMARY KEY ("A", "B"));
        -- a relation named by hand: the name does not say which table A is
        CREATE TABLE public."_UserWatchlist" ("A" text NOT NULL, "B" text NOT NULL,
          PRIMARY KEY ("A", "B"));
        """);
    Report report = report(db, List.of("public"));
    assertThat(report.proposals().stream().map(p -> p.candidate().describe()))
        .contains(
            "public._OrderToTag.A -> public.Order.id", "public._OrderToTag.B -> public.Tag.id")
        .noneMatch(p -> p.startsWith("public._UserWatchlist"));
    assertThat(report.unmatched().stream().map(u -> u.column().describe()))
        .contains("public._UserWatchlist.A", "public._UserWatchlist.B");
  }

  @Test
  void every_reference_shaped_column_is_proposed_or_listed_with_a_reason() throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_every_column");
    db.execute(
        """
        CREATE TABLE public.users (id int PRIMARY KEY);
        CREATE TABLE public.api_keys (id int PRIMARY KEY, user_id int, hashed_key text,
          line_no int, postal_code text);
        CREATE TABLE public.invoices (id int PRIMARY KEY, invoice_number text);
        CREATE TABLE public.k1_box_definition (box_key text PRIMARY KEY, label text);
        """);
    Report report = report(db, List.of("public"));
    assertThat(report.proposals().stream().map(p -> p.candidate().describe()))
        .containsExactly("public.api_keys.user_id -> public.users.id");
    assertThat(report.unmatched().stream().map(u -> u.column().describe()))
        .containsExactlyInAnyOrder(
            "public.api_keys.hashed_key",
            "public.api_keys.line_no",
            "public.api_keys.postal_code",
            "public.invoices.invoice_number",
            "public.k1_box_definition.box_key");
    assertThat(report.unmatched())
        .filteredOn(u -> u.column().describe().equals("public.k1_box_definition.box_key"))
        .singleElement()
        .extracting(Inference.Unmatched::reason)
        .isEqualTo("its own table's primary key: the row's own identifier");
  }

  @Test
  void a_key_named_by_an_abbreviation_of_its_tables_name_is_that_tables_not_a_side_tables()
      throws SQLException {
    // MySQL's employees sample and SQL Server's pubs: emp_no, dept_no and pub_id abbreviate
    // employees, departments and publishers, each keyed by that very name; dept_emp,
    // dept_manager and pub_info merely start or end with the abbreviation
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_published_abbreviated_keys");
    db.execute(
        """
        CREATE TABLE public.employees (emp_no int PRIMARY KEY, last_name text);
        CREATE TABLE public.departments (dept_no char(4) PRIMARY KEY, dept_name text UNIQUE);
        CREATE TABLE public.dept_emp (emp_no int, dept_no char(4), from_date date,
          PRIMARY KEY (emp_no, dept_no));
        CREATE TABLE public.dept_manager (emp_no int, dept_no char(4), from_date date,
          PRIMARY KEY (emp_no, dept_no));
        CREATE TABLE public.publishers (pub_id char(4) PRIMARY KEY, pub_name text);
        CREATE TABLE public.pub_info (pub_id char(4) PRIMARY KEY, pr_info text);
        CREATE TABLE public.titles (title_id varchar(6) PRIMARY KEY, pub_id char(4));
        """);
    assertThat(proposed(db, List.of("public")))
        .containsExactlyInAnyOrder(
            "public.dept_emp.emp_no -> public.employees.emp_no",
            "public.dept_emp.dept_no -> public.departments.dept_no",
            "public.dept_manager.emp_no -> public.employees.emp_no",
            "public.dept_manager.dept_no -> public.departments.dept_no",
            "public.pub_info.pub_id -> public.publishers.pub_id",
            "public.titles.pub_id -> public.publishers.pub_id");
  }
}
