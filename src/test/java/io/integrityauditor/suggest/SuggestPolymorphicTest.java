package io.integrityauditor.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.integrityauditor.ExitCodes;
import io.integrityauditor.Json;
import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rails' polymorphic references ({@code commentable_id} beside {@code commentable_type}): a foreign
 * key cannot express them, so {@code suggest} proposes the project's {@code kind: polymorphic}
 * audit, its type → table map read from the type values in the data.
 */
class SuggestPolymorphicTest {
  static TestPostgres.Database db;

  @TempDir Path dir;

  @BeforeAll
  static void schema() {
    db = TestPostgres.newDatabase("suggest_polymorphic");
    db.execute(
        """
        CREATE TABLE posts (id bigint PRIMARY KEY, title text);
        CREATE TABLE photos (id bigint PRIMARY KEY);
        CREATE TABLE admin_users (id bigint PRIMARY KEY);
        CREATE TABLE videos (id bigint PRIMARY KEY);
        CREATE TABLE comments (id bigint PRIMARY KEY, commentable_type varchar(40),
          commentable_id bigint, body text);
        CREATE TABLE attachments (id bigint PRIMARY KEY, record_type varchar, record_id bigint);
        CREATE TABLE likes (id bigint PRIMARY KEY, target_type varchar, target_id bigint);
        INSERT INTO posts SELECT i, 'post ' || i FROM generate_series(1, 50) i;
        INSERT INTO photos SELECT i FROM generate_series(1, 30) i;
        INSERT INTO admin_users SELECT i FROM generate_series(1, 5) i;
        INSERT INTO videos SELECT i FROM generate_series(1, 10) i;
        -- 100 comments on posts (2 of their 50 ids deleted since), 30 on photos, 5 on admins,
        -- 4 on a class whose table is elsewhere, 10 on videos whose ids are another key space
        INSERT INTO comments SELECT i, 'Post', (i - 1) % 50 + 1, 'c' FROM generate_series(1, 100) i;
        INSERT INTO comments SELECT 100 + i, 'Photo', i, 'c' FROM generate_series(1, 30) i;
        INSERT INTO comments SELECT 130 + i, 'Admin::User', i, 'c' FROM generate_series(1, 5) i;
        INSERT INTO comments SELECT 135 + i, 'Legacy::Widget', i, 'c' FROM generate_series(1, 4) i;
        INSERT INTO comments SELECT 139 + i, 'Video', 5000 + i, 'c' FROM generate_series(1, 10) i;
        DELETE FROM posts WHERE id IN (7, 8);
        INSERT INTO likes SELECT i, 'Post', i FROM generate_series(1, 20) i;
        ANALYZE;
        """);
  }

  @Test
  void a_polymorphic_pair_becomes_a_polymorphic_audit_mapping_each_type_value_to_its_table()
      throws Exception {
    Workspace workspace = new Workspace(dir);
    Path config = workspace.config(db, null);
    Path file = dir.resolve("audits/suggested.yaml");
    CliRunner.Outcome suggest =
        CliRunner.execute("suggest", "--config", config.toString(), "--out", file.toString());
    assertThat(suggest.code()).as(suggest.err()).isEqualTo(ExitCodes.CLEAN);
    String yaml = Files.readString(file);

    assertThat(yaml)
        .contains(
            "  # public.comments.commentable_id -> the table commentable_type names (the type"
                + " column names the table)\n"
                + "  # evidence, per type value, in the whole table (149 rows):\n"
                + "  #   Post -> public.posts.id: 48/50 distinct values (96.0%), 96/100 rows"
                + " (96.0%) found\n"
                + "  #   Photo -> public.photos.id: 30/30 distinct values (100.0%), 30/30 rows"
                + " (100.0%) found\n"
                + "  #   Admin::User -> public.admin_users.id: 5/5 distinct values (100.0%), 5/5"
                + " rows (100.0%) found\n"
                + "  #   not mapped: Video -> public.videos.id: 0/10 distinct values (0.0%), 0/10"
                + " rows (0.0%) found: half or fewer, another key space\n"
                + "  #   not mapped: Legacy::Widget: no table with a comparable primary key is"
                + " named like it\n"
                + "  # unknown_types: ignore, so the type values not mapped are not reported; map"
                + " them, then remove it\n"
                + "  - id: comments.commentable\n"
                + "    description: inferred polymorphic reference comments.commentable_id by"
                + " commentable_type\n"
                + "    kind: polymorphic\n"
                + "    table: comments\n"
                + "    type_column: commentable_type\n"
                + "    id_column: commentable_id\n"
                + "    parents:\n"
                + "      Post: posts.id\n"
                + "      Photo: photos.id\n"
                + "      'Admin::User': admin_users.id\n"
                + "    unknown_types: ignore\n")
        // every type value mapped: a new one is reported until it is added
        .contains(
            "    kind: polymorphic\n"
                + "    table: likes\n"
                + "    type_column: target_type\n"
                + "    id_column: target_id\n"
                + "    parents:\n"
                + "      Post: posts.id\n")
        .contains(
            "#   public.attachments.record_id: polymorphic: record_type says which table each"
                + " row points at, and a foreign key cannot express it; no type values in the"
                + " whole table (0 rows) to map to tables: write a kind: polymorphic audit by"
                + " hand\n")
        .contains("Result: 2 audits proposed (2 of them polymorphic)");
    assertThat(yaml.substring(yaml.indexOf("table: likes"))).doesNotContain("unknown_types");

    CliRunner.Outcome validate = CliRunner.execute("validate", "--config", config.toString());
    assertThat(validate.code()).as(validate.err()).isEqualTo(ExitCodes.CLEAN);

    // the proposed audit runs and finds what the data breaks: the 4 comments on deleted posts
    CliRunner.Outcome check =
        CliRunner.execute("check", "--config", config.toString(), "--format", "json");
    assertThat(check.code()).as(check.err()).isEqualTo(ExitCodes.VIOLATIONS);
    JsonNode comments = null;
    JsonNode likes = null;
    for (JsonNode item : Json.MAPPER.readTree(check.out()).get("data")) {
      if (item.get("id").asText().equals("comments.commentable")) {
        comments = item;
      } else if (item.get("id").asText().equals("likes.target")) {
        likes = item;
      }
    }
    assertThat(comments).isNotNull();
    assertThat(comments.get("violations").asLong()).isEqualTo(4);
    assertThat(comments.get("rowsChecked").asLong()).isEqualTo(149);
    assertThat(likes).isNotNull();
    // likes of posts 1..20: the deleted posts 7 and 8
    assertThat(likes.get("violations").asLong()).isEqualTo(2);
  }
}
