package io.integrityauditor.cli;

import io.integrityauditor.config.ConfigException;
import io.integrityauditor.config.ConfigProblem;
import io.integrityauditor.config.Location;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.store.Store;

/** Opens the store for the commands that only read or update it (alerts, ack, runs). */
final class StoreAccess {
  private StoreAccess() {}

  static Store open(WorkerConfig config, String command) {
    if (config.store().isEmpty()) {
      throw new ConfigException(
          new ConfigProblem(
              Location.of(config.file(), 0),
              null,
              "store",
              command + " reads the store: add a store: section (the worker's own database)"));
    }
    Store store = Store.open(config.store().get());
    store.migrate();
    return store;
  }
}
