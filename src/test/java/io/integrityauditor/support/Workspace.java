package io.integrityauditor.support;

import io.integrityauditor.config.Environment;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.config.WorkerConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A directory with a worker configuration and audit files, written the way a user writes them, for
 * tests that go through the real loaders.
 */
public final class Workspace {
  private final Path directory;

  public Workspace(Path directory) {
    this.directory = directory;
  }

  public Path directory() {
    return directory;
  }

  public Path write(String relative, String content) {
    try {
      Path file = directory.resolve(relative);
      Files.createDirectories(file.getParent());
      Files.writeString(file, content.stripIndent());
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A config with one target named {@code app} and, when given, a store. */
  public Path config(TestPostgres.Database target, TestPostgres.Database store) {
    return config(target, store, "");
  }

  /** The same, with extra top-level YAML (e.g. a {@code retry:} section). */
  public Path config(TestPostgres.Database target, TestPostgres.Database store, String extra) {
    return config(Map.of("app", target), store, extra);
  }

  /**
   * A config with several targets (e.g. a reference across databases), by name, and when given a
   * store.
   */
  public Path config(
      Map<String, TestPostgres.Database> targets, TestPostgres.Database store, String extra) {
    StringBuilder yaml = new StringBuilder();
    targets.forEach((name, database) -> yaml.append(target(name, database.url(), "")));
    return write(
        "integrity-auditor.yaml",
        yaml("test-node", store == null ? null : store.url(), yaml.toString(), extra));
  }

  /**
   * A {@code serve} node's config, {@code <nodeId>.yaml}: its id, the store, {@code targets} (YAML
   * under {@code targets:}, each from {@link #target}), the audit files under {@code audits/}, then
   * {@code rest} (top-level YAML: scheduler, http, ...).
   */
  public Path node(String nodeId, String storeUrl, String targets, String rest) {
    return write(nodeId + ".yaml", yaml(nodeId, storeUrl, targets, rest));
  }

  /**
   * One target of a config's {@code targets:}: its name, URL, user {@code postgres} and {@code
   * settings}, more of its keys as YAML (e.g. {@code max_concurrent_audits: 2}).
   */
  public static String target(String name, String url, String settings) {
    return "  " + name + ":\n    url: " + url + "\n    user: postgres\n" + settings.indent(4);
  }

  private static String yaml(String nodeId, String storeUrl, String targets, String rest) {
    String store = storeUrl == null ? "" : "store:\n  url: " + storeUrl + "\n  user: postgres\n";
    return "node_id: "
        + nodeId
        + "\n"
        + store
        + "targets:\n"
        + targets
        + "audits:\n  - audits/*.yaml\n"
        + rest;
  }

  public WorkerConfig load(Path config) {
    return new WorkerConfigLoader(Environment.of(Map.of())).load(config);
  }
}
