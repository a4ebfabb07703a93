package io.integrityauditor.suggest;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.catalog.Catalog;
import io.integrityauditor.catalog.CatalogReader;
import io.integrityauditor.support.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A second opinion beside the main fixture, which was written together with the heuristics: schemas
 * modelled on well-known public sample databases in other naming styles (Chinook's PascalCase,
 * Pagila's singular tables, Northwind, a Django project), with their foreign keys dropped. Each
 * test states the exact misses and wrong proposals, so a change in the heuristics shows up as a
 * change here.
 */
class SuggestSchemaStylesTest {

  /** What suggest found against what was declared. */
  record Score(Set<String> declared, Set<String> proposed) {
    Set<String> missed() {
      Set<String> missed = new TreeSet<>(declared);
      missed.removeAll(proposed);
      return missed;
    }

    Set<String> wrong() {
      Set<String> wrong = new TreeSet<>(proposed);
      wrong.removeAll(declared);
      return wrong;
    }

    Set<String> correct() {
      Set<String> correct = new TreeSet<>(proposed);
      correct.retainAll(declared);
      return correct;
    }

    double precision() {
      return proposed.isEmpty() ? 1 : (double) correct().size() / proposed.size();
    }

    double recall() {
      return declared.isEmpty() ? 1 : (double) correct().size() / declared.size();
    }

    String summary(String name) {
      int correct = proposed.size() - wrong().size();
      return String.format(
          "%s: %d declared, %d proposed, %d correct; missed %s; wrong %s",
          name, declared.size(), proposed.size(), correct, missed(), wrong());
    }
  }

  private static Score score(String name) {
    TestPostgres.Database db = TestPostgres.newDatabase("suggest_" + name);
    db.execute(SuggestPrecisionRecallTest.resource("suggest/styles/" + name + ".sql"));
    Set<String> declared = SuggestPrecisionRecallTest.foreignKeys(db);
    SuggestPrecisionRecallTest.dropForeignKeys(db);
    try (Connection connection = db.dataSource().getConnection()) {
      Catalog catalog = CatalogReader.read(connection);
      Report report = Suggester.report("app", catalog, connection, SuggestSettings.defaults());
      Set<String> proposed =
          report.proposals().stream()
              .map(p -> reference(p.candidate()))
              .collect(Collectors.toCollection(TreeSet::new));
      Score score = new Score(declared, proposed);
      System.out.println(score.summary(name));
      System.out.println(SuggestionWriter.yaml(report));
      return score;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static String reference(Candidate candidate) {
    return side(candidate.child()) + " -> " + side(candidate.parent());
  }

  private static String side(Side side) {
    return side.table().id() + "(" + String.join(", ", side.columnNames()) + ")";
  }

  @Test
  void chinook_pascal_case_keys_and_roles_are_all_found() {
    Score score = score("chinook");
    assertThat(score.declared()).hasSize(11);
    assertThat(score.missed()).isEmpty();
    assertThat(score.wrong()).isEmpty();
  }

  @Test
  void pagila_singular_tables_and_partitioned_payments_are_all_found() {
    Score score = score("pagila");
    assertThat(score.declared()).hasSize(22);
    assertThat(score.missed()).isEmpty();
    assertThat(score.wrong()).isEmpty();
  }

  @Test
  void northwind_ship_via_is_found_through_the_doer_of_the_action_shippers() {
    Score score = score("northwind");
    assertThat(score.declared()).hasSize(13);
    assertThat(score.missed()).isEmpty();
    assertThat(score.wrong()).isEmpty();
  }

  @Test
  void odoo_module_prefixed_tables_and_create_uid_are_all_found() {
    Score score = score("odoo");
    assertThat(score.declared()).hasSize(20);
    assertThat(score.missed()).isEmpty();
    assertThat(score.wrong()).isEmpty();
  }

  @Test
  void keycloak_entity_tables_and_a_bare_client_column_are_all_found() {
    Score score = score("keycloak");
    assertThat(score.declared()).hasSize(8);
    assertThat(score.missed()).isEmpty();
    assertThat(score.wrong()).isEmpty();
  }

  @Test
  void django_app_prefixed_tables_are_found_by_the_end_of_their_names() {
    Score score = score("django");
    assertThat(score.declared()).hasSize(11);
    assertThat(score.missed()).isEmpty();
    assertThat(score.wrong()).isEmpty();
  }
}
