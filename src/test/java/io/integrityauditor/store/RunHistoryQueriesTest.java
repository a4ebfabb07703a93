package io.integrityauditor.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.cli.CliRunner;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.jooq.impl.DefaultExecuteListenerProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runs} reads an audit's history in a fixed number of queries, however many of its runs had
 * a baseline: one query per listed run was an N+1 on the store (newuser23).
 */
class RunHistoryQueriesTest {
  @TempDir Path dir;

  @Test
  void the_history_of_runs_with_a_baseline_is_read_in_three_queries_whatever_their_number() {
    TestPostgres.Database target = TestPostgres.newDatabase("history_queries_target");
    TestPostgres.Database storeDb = TestPostgres.newDatabase("history_queries_store");
    target.execute(
        """
        CREATE TABLE parent (id int PRIMARY KEY);
        INSERT INTO parent SELECT i FROM generate_series(1, 100) i;
        CREATE TABLE child (id int PRIMARY KEY, parent_id int);
        INSERT INTO child SELECT i, CASE WHEN i <= 8 THEN 1000 + i ELSE 1 + i % 100 END
          FROM generate_series(1, 500) i;
        """);
    Workspace workspace = new Workspace(dir);
    workspace.write(
        "audits/a.yaml",
        """
        audits:
          - id: child.parent
            kind: orphan
            child: child.parent_id
            parent: parent.id
            sample_size: 5
        """);
    Path config = workspace.config(target, storeDb);
    CliRunner.execute("check", config, "--audit", "child.parent");
    CliRunner.execute("baseline", config, "child.parent", "--by", "alice");
    int baselineRuns = 6;
    for (int i = 0; i < baselineRuns; i++) {
      // one more orphan each time: the newest run has a key outside the baseline
      target.execute("UPDATE child SET parent_id = 2000 + id WHERE id = " + (200 + i));
      CliRunner.execute("check", config, "--audit", "child.parent");
    }

    AtomicInteger queries = new AtomicInteger();
    ExecuteListener counter =
        new ExecuteListener() {
          @Override
          public void executeStart(ExecuteContext ctx) {
            queries.incrementAndGet();
          }
        };
    try (Store store = StoreTest.open(storeDb)) {
      RunStore runs =
          new RunStore(
              store.dsl().configuration().derive(new DefaultExecuteListenerProvider(counter)).dsl(),
              "test",
              Clock.systemUTC());
      List<RunView> history = runs.history("child.parent", 20);

      assertThat(history).hasSize(1 + baselineRuns);
      assertThat(
              history.stream()
                  .filter(run -> run.baselineViolations() != null && run.baselineViolations() > 0))
          .hasSize(baselineRuns);
      assertThat(queries.get()).as("runs, their samples, their baseline marks").isEqualTo(3);
      // the marks are those of the newest run (the audit keeps the key set of its latest run)
      RunView newest = history.get(0);
      assertThat(newest.samples()).hasSize(5);
      assertThat(newest.sampleInBaseline()).hasSize(5);
      assertThat(newest.sampleInBaseline().stream().filter(in -> !in).count())
          .isEqualTo(
              newest.samples().stream()
                  .filter(key -> Long.parseLong(key.get("id")) >= 200)
                  .count());
      history
          .subList(1, history.size())
          .forEach(run -> assertThat(run.sampleInBaseline()).isEmpty());
    }
  }
}
