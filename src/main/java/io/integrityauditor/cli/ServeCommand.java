package io.integrityauditor.cli;

import io.integrityauditor.Worker;
import io.integrityauditor.config.WorkerConfig;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

@Command(
    name = "serve",
    description = {
      "Run audits on their schedules until stopped: a node of a Quartz cluster on the store"
          + " database (start several for high availability), with metrics, health and a JSON API"
          + " over HTTP.",
      "SIGHUP reloads the audit files; SIGTERM/SIGINT stop gracefully."
    })
final class ServeCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Override
  public Integer call() throws Exception {
    WorkerConfig workerConfig = config.load();
    Worker worker = Worker.start(workerConfig, Clock.systemUTC());
    return runUntilStopped(worker);
  }

  /** Reloads on SIGHUP; stops gracefully on SIGTERM/SIGINT (shutdown hook). */
  static int runUntilStopped(Worker worker) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              worker.close();
              stopped.countDown();
            },
            "graceful-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Signal.handle(new Signal("HUP"), signal -> worker.reload());
    } catch (IllegalArgumentException e) {
      // no SIGHUP on this platform (Windows): reload over HTTP instead
    }
    stopped.await();
    return ExitCodes.CLEAN;
  }
}
