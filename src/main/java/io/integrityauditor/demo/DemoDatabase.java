package io.integrityauditor.demo;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * An embedded PostgreSQL holding the demo application database {@code apms} (with known
 * violations), the billing service's own database {@code billing} (whose references into apms no
 * database can enforce: the cross-database audits check them) and an empty store database {@code
 * integrity_auditor}.
 */
public final class DemoDatabase implements AutoCloseable {
  public static final String TARGET_DATABASE = "apms";

  /** The second service's database, a second target of the demo's configuration. */
  public static final String BILLING_DATABASE = "billing";

  public static final String STORE_DATABASE = "integrity_auditor";
  public static final String AUDIT_ROLE = "integrity_auditor_ro";

  /**
   * The violations apms-data.sql (and the schema's deliberate flaws) inject, by shipped audit id:
   * every shipped audit finds at least one. Everything else is clean.
   */
  public static final Map<String, Long> EXPECTED_VIOLATIONS =
      Map.ofEntries(
          // apms.yaml
          Map.entry("workflow_instances.config_version", 7L),
          Map.entry("workflow_instances.frozen_config_version", 11L),
          Map.entry("workflow_instances.workspace", 2L),
          Map.entry("workflow_instances.created_by", 3L),
          Map.entry("workflow_instances.assigned_to", 1L),
          Map.entry("workflow_stages.workflow_instance", 5L),
          Map.entry("workflow_stages.approver", 2L),
          Map.entry("stage_approvals.stage", 4L),
          Map.entry("stage_approvals.approved_by", 1L),
          Map.entry("config_versions.created_by", 1L),
          Map.entry("users.workspace", 1L),
          Map.entry("regions.config_version", 2L),
          Map.entry("regions.workspace", 1L),
          Map.entry("regions.created_by", 1L),
          Map.entry("sites.config_version", 3L),
          Map.entry("sites.workspace", 1L),
          Map.entry("sites.created_by", 1L),
          Map.entry("vendors.config_version", 1L),
          Map.entry("vendors.workspace", 2L),
          Map.entry("vendors.created_by", 1L),
          Map.entry("equipment_models.config_version", 2L),
          Map.entry("equipment_models.workspace", 1L),
          Map.entry("equipment_models.created_by", 1L),
          Map.entry("link_plans.config_version", 1L),
          Map.entry("link_plans.workspace", 1L),
          Map.entry("link_plans.created_by", 1L),
          Map.entry("link_plans.site_b", 2L),
          // apms-invariants.yaml
          Map.entry("config_versions.one_active_per_workspace", 2L),
          Map.entry("workflow_instances.workspace_isolation", 5L),
          Map.entry("sites.workspace_isolation", 2L),
          Map.entry("config_versions.status", 1L),
          Map.entry("workflow_instances.status", 2L),
          Map.entry("workflow_stages.stage_status", 1L),
          Map.entry("workspaces.active_config_version", 1L),
          Map.entry("apms.schema", 4L),
          Map.entry("apms.type_alignment", 1L),
          // provisioning.yaml
          Map.entry("docks.organization", 1L),
          Map.entry("roles.organization", 1L),
          Map.entry("servers.dock", 2L),
          Map.entry("servers.organization", 1L),
          Map.entry("web_services.dock", 1L),
          Map.entry("web_services.organization", 1L),
          Map.entry("domains.dock", 3L),
          Map.entry("domains.organization", 1L),
          Map.entry("databases.dock", 1L),
          Map.entry("databases.organization", 1L),
          // provisioning-invariants.yaml
          Map.entry("roles.provisioning", 1L),
          Map.entry("servers.provisioning_source", 1L),
          Map.entry("web_services.provisioning_source", 1L),
          Map.entry("domains.provisioning_source", 1L),
          Map.entry("databases.provisioning_source", 1L),
          Map.entry("servers.provisioning_state", 1L),
          Map.entry("web_services.provisioning_state", 1L),
          Map.entry("domains.provisioning_state", 1L),
          Map.entry("databases.provisioning_state", 1L),
          Map.entry("servers.sst_ids", 2L),
          Map.entry("web_services.sst_ids", 1L),
          Map.entry("domains.sst_ids", 1L),
          Map.entry("databases.sst_ids", 1L),
          Map.entry("servers.sst_unique", 2L),
          Map.entry("web_services.sst_unique", 2L),
          Map.entry("domains.sst_unique", 2L),
          Map.entry("databases.sst_unique", 2L),
          Map.entry("events.resource", 4L),
          Map.entry("provisioning.schema", 2L),
          // billing.yaml: references from the billing database into apms
          Map.entry("subscriptions.workspace", 2L),
          Map.entry("server_charges.server", 3L),
          Map.entry("server_charges.organization", 5L));

  private final EmbeddedPostgres postgres;
  private final String auditorPassword;

  private DemoDatabase(EmbeddedPostgres postgres, String auditorPassword) {
    this.postgres = postgres;
    this.auditorPassword = auditorPassword;
  }

  /** Starts PostgreSQL with its data in {@code dataDirectory} and loads the demo schema. */
  public static DemoDatabase start(Path dataDirectory) throws IOException, SQLException {
    EmbeddedPostgres postgres =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDirectory)
            .setCleanDataDirectory(true)
            .setServerConfig("max_connections", "100")
            .start();
    try {
      String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
      DataSource admin = postgres.getPostgresDatabase();
      try (Connection connection = admin.getConnection();
          Statement statement = connection.createStatement()) {
        statement.execute("CREATE DATABASE " + TARGET_DATABASE);
        statement.execute("CREATE DATABASE " + STORE_DATABASE);
        statement.execute("CREATE DATABASE " + BILLING_DATABASE);
      }
      try (Connection connection =
              postgres.getDatabase("postgres", TARGET_DATABASE).getConnection();
          Statement statement = connection.createStatement()) {
        statement.execute(resource("apms-schema.sql"));
        statement.execute(resource("apms-data.sql"));
        // The password is random per demo; it is only ever written to a 0600 file.
        statement.execute("ALTER ROLE " + AUDIT_ROLE + " PASSWORD '" + password + "'");
      }
      // after apms: its schema creates the audit role, which billing.sql grants SELECT to
      try (Connection connection =
              postgres.getDatabase("postgres", BILLING_DATABASE).getConnection();
          Statement statement = connection.createStatement()) {
        statement.execute(resource("billing.sql"));
      }
      return new DemoDatabase(postgres, password);
    } catch (SQLException | RuntimeException e) {
      postgres.close();
      throw e;
    }
  }

  public int port() {
    return postgres.getPort();
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + port() + "/" + database;
  }

  public DataSource adminDataSource(String database) {
    return postgres.getDatabase("postgres", database);
  }

  /**
   * Writes a worker configuration for the demo into {@code directory}: the store, the two targets
   * (read with the least-privilege role, password in a 0600 file) and the audit files.
   */
  public Path writeConfig(Path directory, List<String> auditPatterns, String extra)
      throws IOException {
    Path passwordFile = directory.resolve("apms.password");
    Files.writeString(passwordFile, auditorPassword + "\n", StandardCharsets.UTF_8);
    try {
      Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system (Windows): the temp directory is private to the user anyway
    }
    String audits =
        auditPatterns.stream().map(p -> "  - " + quote(p)).collect(Collectors.joining("\n"));
    String config =
        """
        # Written by `integrity-auditor demo`. A real deployment looks the same: see
        # docs/configuration.md.
        node_id: demo
        store:
          url: %s
          user: postgres
        targets:
          apms:
            url: %s
            user: %s
            password_file: apms.password
            max_concurrent_audits: 2
          # the billing service's own database: audits/billing.yaml reads it with apms
          billing:
            url: %s
            user: %s
            password_file: apms.password
            max_concurrent_audits: 2
        audits:
        %s
        %s"""
            .formatted(
                jdbcUrl(STORE_DATABASE),
                jdbcUrl(TARGET_DATABASE),
                AUDIT_ROLE,
                jdbcUrl(BILLING_DATABASE),
                AUDIT_ROLE,
                audits,
                extra);
    Path file = directory.resolve("integrity-auditor.yaml");
    Files.writeString(file, config, StandardCharsets.UTF_8);
    return file;
  }

  private static String quote(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  static String resource(String name) {
    try (InputStream in = DemoDatabase.class.getResourceAsStream("/demo/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource /demo/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws IOException {
    postgres.close();
  }
}
