package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.Plural;
import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.Suggest;
import io.integrityauditor.config.TargetConfig;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.schedule.ClusterClient;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import org.quartz.SchedulerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    mixinStandardHelpOptions = true,
    name = "trigger",
    description =
        "Ask the running cluster (through the store) to run an audit now; whichever node is free"
            + " picks it up. Exit 0 when queued, 2 when no such audit is scheduled.")
final class TriggerCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Parameters(paramLabel = "AUDIT_ID", description = "The audit to run.")
  String auditId;

  @Option(
      names = "--tenant",
      paramLabel = "TENANT",
      description =
          "For an audit of a template (databases: or schemas:), run it for this tenant only"
              + " (the audit AUDIT_ID@TENANT).")
  String tenant;

  PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    WorkerConfig workerConfig = config.load();
    if (workerConfig.store().isEmpty()) {
      throw new ConfigException(
          new ConfigProblem(
              Location.of(workerConfig.file(), 0),
              null,
              "store",
              "trigger talks to the cluster through the store: add a store: section"));
    }
    String auditId =
        tenant == null ? this.auditId : this.auditId + TargetConfig.TENANT_SEPARATOR + tenant;
    try (ClusterClient cluster = ClusterClient.connect(workerConfig)) {
      if (!cluster.requestRun(auditId)) {
        throw new UsageException(notScheduled(auditId, cluster));
      }
    }
    out.println("queued: " + auditId + " will run on the next free node");
    return ExitCodes.CLEAN;
  }

  /**
   * Why nothing was queued, and what to run instead: the tenants the cluster runs the audit for,
   * when it is a template's audit.
   */
  private String notScheduled(String wanted, ClusterClient cluster) throws SchedulerException {
    String prefix = this.auditId + TargetConfig.TENANT_SEPARATOR;
    List<String> tenants =
        cluster.auditsStartingWith(prefix).stream()
            .map(id -> id.substring(prefix.length()))
            .toList();
    String message = "no audit '" + wanted + "' is scheduled in the cluster";
    if (tenants.isEmpty()) {
      return message + " (is serve running with an audit of that id?)";
    }
    String suggestion =
        Suggest.closest(tenant == null ? "" : tenant, tenants).orElse(tenants.get(0));
    return message
        + "; "
        + this.auditId
        + " runs for "
        + Plural.of(tenants.size(), "tenant")
        + ": "
        + String.join(", ", tenants.subList(0, Math.min(10, tenants.size())))
        + (tenants.size() > 10 ? ", ..." : "")
        + " (trigger "
        + this.auditId
        + " --tenant "
        + suggestion
        + ")";
  }
}
