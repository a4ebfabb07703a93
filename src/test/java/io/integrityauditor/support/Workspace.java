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
    String storeSection =
        store == null ? "" : "store:\n  url: " + store.url() + "\n  user: postgres\n";
    return write(
        "integrity-auditor.yaml",
        "node_id: test-node\n"
            + storeSection
            + "targets:\n  app:\n    url: "
            + target.url()
            + "\n    user: postgres\naudits:\n  - audits/*.yaml\n"
            + extra);
  }

  /**
   * A config with several targets (e.g. a reference across databases), by name, and when given a
   * store.
   */
  public Path config(
      Map<String, TestPostgres.Database> targets, TestPostgres.Database store, String extra) {
    StringBuilder yaml = new StringBuilder("node_id: test-node\n");
    if (store != null) {
      yaml.append("store:\n  url: ").append(store.url()).append("\n  user: postgres\n");
    }
    yaml.append("targets:\n");
    targets.forEach(
        (name, database) ->
            yaml.append("  ")
                .append(name)
                .append(":\n    url: ")
                .append(database.url())
                .append("\n    user: postgres\n"));
    yaml.append("audits:\n  - audits/*.yaml\n").append(extra);
    return write("integrity-auditor.yaml", yaml.toString());
  }

  public WorkerConfig load(Path config) {
    return new WorkerConfigLoader(Environment.of(Map.of())).load(config);
  }
}
