package io.integrityauditor.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.integrityauditor.serve.Worker;
import io.integrityauditor.support.ChildNode;
import io.integrityauditor.support.Eventually;
import io.integrityauditor.support.Exposition;
import io.integrityauditor.support.TestPostgres;
import io.integrityauditor.support.Workspace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes of one cluster whose audit files differ (the ops25 trial: a SIGHUP sent to one node
 * only): the fire time of an audit one node does not define, given to that node, is a run lost.
 * Before, only a WARN line said so; now each node exports what its files schedule, and counts such
 * fire times, so that the shipped alert IntegrityAuditNodesDisagree can tell on-call.
 */
class NodesDisagreeTest {
  @TempDir Path dirA;
  @TempDir Path dirB;

  private static final Duration WINDOW = Duration.ofSeconds(80);
  private static final Pattern FINGERPRINT =
      Pattern.compile("integrity_audit_audit_files_info\\{fingerprint=\"([0-9a-f]+)\"\\} 1");

  private static String audit(String id) {
    return """
          - id: %s
            kind: orphan
            child: child.p
            parent: parent.id
            schedule: "@yearly"
        """
        .formatted(id);
  }

  /** A node's /metrics, scraped over HTTP. */
  private static String metrics(int port) {
    try {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (java.io.IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String fingerprint(int port) {
    Matcher m = FINGERPRINT.matcher(metrics(port));
    assertThat(m.find()).as("integrity_audit_audit_files_info is exported").isTrue();
    return m.group(1);
  }

  private static double undefinedFires(int port) {
    Map<String, Double> samples = Exposition.parse(metrics(port));
    return samples.getOrDefault("integrity_audit_undefined_audit_fires_total", Double.NaN);
  }

  /** The HTTP port a child node logged (its config asks for port 0). */
  private static int port(ChildNode node) {
    Matcher m = Pattern.compile("HTTP listening on [^:]+:(\\d+)").matcher(node.log());
    assertThat(m.find()).as("the node logged its port:\n" + node.log()).isTrue();
    return Integer.parseInt(m.group(1));
  }

  @Test
  void a_node_whose_files_lack_an_audit_shows_another_fingerprint_and_counts_its_lost_fire_time()
      throws Exception {
    TestPostgres.Database target = TestPostgres.newDatabase("disagree_target");
    TestPostgres.Database store = TestPostgres.newDatabase("disagree_store");
    target.execute(
        "CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id int PRIMARY KEY, p int);"
            + " INSERT INTO child VALUES (1, 5);");
    // an id whose first run comes 45-60 s into the window: node a has stopped by then (its
    // start, up to 30 s at load 30, included), so the only node left to take it is b, which does
    // not define it
    String late =
        IntStream.range(0, 1000)
            .mapToObj(i -> "late" + i)
            .filter(
                id -> {
                  long at = FirstRun.at(id, WINDOW, Instant.EPOCH).toEpochMilli();
                  return at >= 45_000 && at <= 60_000;
                })
            .findFirst()
            .orElseThrow();
    String rest =
        "scheduler: {checkin_interval: 1s, first_run_window: 80s}\nhttp: {port: 0, read_only:"
            + " true}\n";
    String targets = Workspace.target("app", target.url(), "");
    Workspace a = new Workspace(dirA);
    Workspace b = new Workspace(dirB);
    b.write("audits/a.yaml", "audits:\n" + audit("one"));
    a.write("audits/a.yaml", "audits:\n" + audit("one") + audit(late));
    try (Worker nodeB =
        Worker.start(b.load(b.node("b", store.url(), targets, rest)), Clock.systemUTC())) {
      int portB = nodeB.httpPort().orElseThrow();
      String bOnlyOne = fingerprint(portB);
      assertThat(undefinedFires(portB)).isEqualTo(0.0);
      // node a, another process with the files b lacks one audit of, schedules it and stops
      // before its first run
      String aBoth;
      ChildNode nodeA = ChildNode.serve("a", a.node("a", store.url(), targets, rest), dirA);
      try {
        nodeA.awaitServing();
        aBoth = fingerprint(port(nodeA));
        assertThat(aBoth).isNotEqualTo(bOnlyOne);
        nodeA.terminate(Duration.ofSeconds(60));
      } finally {
        nodeA.close();
      }
      Eventually.within(
          Duration.ofSeconds(150),
          "node b counted the fire time of " + late + " it does not define",
          () -> undefinedFires(portB) == 1.0);
      assertThat(
              store.queryLong(
                  "SELECT count(*) FROM integrity_auditor.audit_run WHERE audit_id = '"
                      + late
                      + "'"))
          .as("the fire time given to b was run nowhere")
          .isZero();
      // the same files on b: the same fingerprint as a
      b.write("audits/a.yaml", "audits:\n" + audit("one") + audit(late));
      nodeB.reload();
      assertThat(fingerprint(portB)).isEqualTo(aBoth);
    }
  }
}
