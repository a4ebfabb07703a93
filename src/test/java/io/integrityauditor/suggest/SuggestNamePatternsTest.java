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
 * The naming patterns of real published schemas that issue 14 lists (no data: names decide), each
 * written in a schema nobody's rule names.
 */
class SuggestNamePatternsTest {
  static Report report;
  static String yaml;

  @BeforeAll
  static void schema() throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_patterns");
    db.execute(
        """
        CREATE SCHEMA pat;
        CREATE TABLE pat.users (id bigint PRIMARY KEY, languages varchar);
        CREATE TABLE pat.languages (code varchar PRIMARY KEY);
        CREATE TABLE pat.subscriptions (id bigint PRIMARY KEY, subscriber_id bigint,
          revoker_id bigint, granter_id bigint);
        CREATE TABLE pat.gpx_files (id bigint PRIMARY KEY);
        CREATE TABLE pat.gpx_file_tags (id bigint PRIMARY KEY, gpx_id bigint);
        CREATE TABLE pat.attachments (id bigint PRIMARY KEY, record_type varchar,
          record_id bigint);
        CREATE TABLE pat.nodes (node_id bigint, version bigint, PRIMARY KEY (node_id, version));
        CREATE TABLE pat.ways (way_id bigint, version bigint, PRIMARY KEY (way_id, version));
        CREATE TABLE pat.way_nodes (way_id bigint, version bigint, sequence_id bigint,
          node_id bigint, PRIMARY KEY (way_id, version, sequence_id));
        CREATE TABLE pat.area_type (id int PRIMARY KEY);
        CREATE TABLE pat.area (id int PRIMARY KEY, type int, parent int);
        CREATE TABLE pat.places (id int PRIMARY KEY, begin_area int, end_area int);
        CREATE TABLE pat.votes (id int PRIMARY KEY, seconder_1 bigint, seconder_2 bigint);
        CREATE TABLE pat.recording (id int PRIMARY KEY);
        CREATE TABLE pat.recording_gid_redirect (gid uuid PRIMARY KEY, new_id int);
        CREATE TABLE pat.recording_meta (id int PRIMARY KEY, rating smallint);
        CREATE TABLE pat.recording_tag (id int PRIMARY KEY);
        CREATE TABLE pat.recording_first_release_date (recording int PRIMARY KEY);
        CREATE TABLE pat.track (id int PRIMARY KEY, recording int);
        CREATE TABLE pat.products (id int PRIMARY KEY, units_on_order int);
        CREATE TABLE pat.orders (id int PRIMARY KEY, ship_via smallint);
        CREATE TABLE pat.shippers (shipper_id smallint PRIMARY KEY);
        """);
    SuggestSettings settings =
        new SuggestSettings(
            List.of("pat"),
            SuggestSettings.DEFAULT_SAMPLE_ROWS,
            SuggestSettings.DEFAULT_MIN_COVERAGE,
            SuggestSettings.DEFAULT_EXCLUDES,
            SuggestSettings.DEFAULT_TIMEOUT);
    try (Connection connection = db.dataSource().getConnection()) {
      Catalog catalog = CatalogReader.read(connection);
      report = Suggester.report("app", catalog, connection, settings);
    }
    yaml = SuggestionWriter.yaml(report);
  }

  @Test
  void role_nouns_abbreviations_agents_bare_names_and_self_references_find_their_tables() {
    assertThat(report.proposals())
        .extracting(p -> p.candidate().describe() + " (" + p.candidate().tier().label() + ")")
        .containsExactly(
            "pat.area.type -> pat.area_type.id (names the table without a key word)",
            "pat.area.parent -> pat.area.id (self-reference role)",
            "pat.gpx_file_tags.gpx_id -> pat.gpx_files.id (names the start of the table's name)",
            "pat.orders.ship_via -> pat.shippers.shipper_id (names the doer of the action)",
            "pat.places.begin_area -> pat.area.id (names the table without a key word)",
            "pat.places.end_area -> pat.area.id (names the table without a key word)",
            "pat.recording_first_release_date.recording -> pat.recording.id (names the table"
                + " without a key word)",
            "pat.recording_gid_redirect.new_id -> pat.recording.id (a qualifier of the table its"
                + " own name starts with)",
            "pat.recording_meta.id -> pat.recording.id (shares the key of the table it extends)",
            "pat.subscriptions.subscriber_id -> pat.users.id (person role)",
            "pat.subscriptions.revoker_id -> pat.users.id (person role)",
            "pat.subscriptions.granter_id -> pat.users.id (person role)",
            "pat.track.recording -> pat.recording.id (names the table without a key word)",
            "pat.votes.seconder_1 -> pat.users.id (person role)",
            "pat.votes.seconder_2 -> pat.users.id (person role)",
            "pat.way_nodes(way_id, version) -> pat.ways(way_id, version) (names the table)");
  }

  @Test
  void polymorphic_references_and_a_tables_own_identifier_are_listed_with_the_reason() {
    assertThat(yaml)
        .contains(
            "# Named like references, but no audit proposed (and why):\n"
                + "#   pat.attachments.record_id: polymorphic: record_type says which table each"
                + " row points at, and a foreign key cannot express it; no type values in the"
                + " whole table (0 rows) to map to tables: write a kind: polymorphic audit by"
                + " hand\n"
                + "#   pat.nodes.node_id: part of its own table's primary key and named after the"
                + " table: the row's own identifier\n");
  }

  @Test
  void a_column_borrowed_by_two_composite_references_belongs_to_the_one_in_the_primary_key() {
    assertThat(yaml)
        .contains(
            "#   pat.way_nodes.node_id -> pat.nodes(node_id, version) (names the table): its"
                + " column version belongs to pat.way_nodes(way_id, version) -> pat.ways(way_id,"
                + " version), which lies in the table's primary key; pat.way_nodes(node_id,"
                + " version) alone has no unique key to point at\n");
  }

  @Test
  void a_plural_column_and_a_quantity_named_after_a_table_are_not_references() {
    assertThat(report.proposals())
        .extracting(p -> p.candidate().child().describe())
        .doesNotContain("pat.users.languages", "pat.products.units_on_order");
  }

  @Test
  void numbered_columns_of_a_table_named_after_the_tables_it_links_point_at_them_in_order()
      throws SQLException {
    Report linked =
        report(
            "lnk",
            """
            CREATE TABLE lnk.artist (id int PRIMARY KEY);
            CREATE TABLE lnk.release (id int PRIMARY KEY);
            CREATE TABLE lnk.release_group (id int PRIMARY KEY);
            CREATE TABLE lnk.l_artist_artist (id int PRIMARY KEY, entity0 int, entity1 int);
            CREATE TABLE lnk.l_artist_release_group (id int PRIMARY KEY, entity0 int, entity1 int,
              entity0_credit text);
            CREATE TABLE lnk.l_release_release_group (id int PRIMARY KEY, entity0 int,
              entity1 int);
            CREATE TABLE lnk.pairs (id int PRIMARY KEY, member1 int, member2 int);
            """);
    String tier = " (the table at its number in its own table's name)";
    assertThat(linked.proposals())
        .extracting(p -> p.candidate().describe() + " (" + p.candidate().tier().label() + ")")
        .containsExactlyInAnyOrder(
            "lnk.l_artist_artist.entity0 -> lnk.artist.id" + tier,
            "lnk.l_artist_artist.entity1 -> lnk.artist.id" + tier,
            "lnk.l_artist_release_group.entity0 -> lnk.artist.id" + tier,
            "lnk.l_artist_release_group.entity1 -> lnk.release_group.id" + tier,
            "lnk.l_release_release_group.entity0 -> lnk.release.id" + tier,
            "lnk.l_release_release_group.entity1 -> lnk.release_group.id" + tier);
  }

  @Test
  void a_column_named_after_the_family_its_own_table_belongs_to_points_at_the_family_table()
      throws SQLException {
    Report family =
        report(
            "fam",
            """
            CREATE TABLE fam.editor_collection (id int PRIMARY KEY);
            CREATE TABLE fam.editor_subscribe_collection (id int PRIMARY KEY);
            CREATE TABLE fam.editor_collection_area (collection int, area int,
              PRIMARY KEY (collection, area));
            CREATE TABLE fam.area (id int PRIMARY KEY);
            CREATE TABLE fam.link_attribute_type (id int PRIMARY KEY);
            CREATE TABLE fam.link_text_attribute_type (attribute_type int PRIMARY KEY);
            CREATE TABLE fam.link_attribute (link int, attribute_type int,
              PRIMARY KEY (link, attribute_type));
            CREATE TABLE fam.link (id int PRIMARY KEY);
            """);
    assertThat(family.proposals())
        .extracting(p -> p.candidate().describe())
        .containsExactlyInAnyOrder(
            "fam.editor_collection_area.collection -> fam.editor_collection.id",
            "fam.editor_collection_area.area -> fam.area.id",
            "fam.link_attribute.link -> fam.link.id",
            "fam.link_attribute.attribute_type -> fam.link_attribute_type.id",
            // its own key, named like the family table it is a subtype of
            "fam.link_text_attribute_type.attribute_type -> fam.link_attribute_type.id");
  }

  @Test
  void without_data_a_person_role_goes_to_the_table_named_by_the_person_word_alone()
      throws SQLException {
    Report people =
        report(
            "ppl",
            """
            CREATE TABLE ppl.editor (id int PRIMARY KEY);
            CREATE TABLE ppl.editor_subscribe_editor (id int PRIMARY KEY);
            CREATE TABLE ppl.elections (id int PRIMARY KEY, proposer int, seconder_1 int);
            """);
    assertThat(people.proposals())
        .extracting(p -> p.candidate().describe())
        .containsExactlyInAnyOrder(
            "ppl.elections.proposer -> ppl.editor.id", "ppl.elections.seconder_1 -> ppl.editor.id");
  }

  @Test
  void a_column_unique_in_its_own_table_is_the_rows_identifier_not_a_reference()
      throws SQLException {
    // each entity's own gid shares its name with the key of the redirect tables; only a gid that
    // is not unique in its own table (a list of gids) may point at one
    Report own =
        report(
            "own",
            """
            CREATE TABLE own.artist (id int PRIMARY KEY, gid uuid NOT NULL UNIQUE);
            CREATE TABLE own.artist_gid_redirect (gid uuid PRIMARY KEY, new_id int);
            CREATE TABLE own.work (id int PRIMARY KEY, gid uuid NOT NULL);
            CREATE UNIQUE INDEX work_idx_gid ON own.work (gid);
            CREATE TABLE own.deleted_entity (gid uuid PRIMARY KEY);
            CREATE TABLE own.deleted_mentions (id int PRIMARY KEY, gid uuid);
            """);
    assertThat(own.proposals())
        .extracting(p -> p.candidate().describe())
        .containsExactly(
            "own.artist_gid_redirect.new_id -> own.artist.id",
            "own.deleted_mentions.gid -> own.deleted_entity.gid");
  }

  @Test
  void a_subtype_keyed_by_its_parents_name_and_variant_tables_point_at_their_parents()
      throws SQLException {
    Report subtypes =
        report(
            "sub",
            """
            CREATE TABLE sub.area (id int PRIMARY KEY);
            CREATE TABLE sub.country_area (area int PRIMARY KEY);
            CREATE TABLE sub.link_attribute_type (id int PRIMARY KEY);
            CREATE TABLE sub.link_text_attribute_type (attribute_type int PRIMARY KEY);
            CREATE TABLE sub.tags (tag text PRIMARY KEY);
            CREATE TABLE sub.release (id int PRIMARY KEY);
            CREATE TABLE sub.release_raw (id int PRIMARY KEY);
            CREATE TABLE sub.track_raw (id int PRIMARY KEY, release int);
            CREATE TABLE sub.release_tag_raw (id int PRIMARY KEY, release int);
            CREATE TABLE sub.post (id int PRIMARY KEY);
            CREATE TABLE sub.post_comments (id int PRIMARY KEY);
            CREATE TABLE sub.blog_comments (id int PRIMARY KEY, post int);
            """);
    assertThat(subtypes.proposals())
        .extracting(p -> p.candidate().describe())
        .containsExactlyInAnyOrder(
            "sub.country_area.area -> sub.area.id",
            "sub.link_text_attribute_type.attribute_type -> sub.link_attribute_type.id",
            "sub.track_raw.release -> sub.release_raw.id",
            // raw tags of a release: the column names the table the row is about
            "sub.release_tag_raw.release -> sub.release.id",
            // comments are no variant of posts: the table named like the column wins
            "sub.blog_comments.post -> sub.post.id");
  }

  private static Report report(String schema, String ddl) throws SQLException {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_patterns_" + schema);
    db.execute("CREATE SCHEMA " + schema + ";\n" + ddl);
    SuggestSettings settings =
        new SuggestSettings(
            List.of(schema),
            SuggestSettings.DEFAULT_SAMPLE_ROWS,
            SuggestSettings.DEFAULT_MIN_COVERAGE,
            SuggestSettings.DEFAULT_EXCLUDES,
            SuggestSettings.DEFAULT_TIMEOUT);
    try (Connection connection = db.dataSource().getConnection()) {
      return Suggester.report("app", CatalogReader.read(connection), connection, settings);
    }
  }
}
