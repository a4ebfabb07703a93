package io.integrityauditor.cli;

import io.integrityauditor.ExitCodes;
import io.integrityauditor.config.WorkerConfig;
import io.integrityauditor.serve.Worker;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;
import sun.misc.SignalHandler;

@Command(
    mixinStandardHelpOptions = true,
    name = "serve",
    description = {
      "Run audits on their schedules until stopped: a node of a Quartz cluster on the store"
          + " database (start several for high availability), with metrics, health and a JSON API"
          + " over HTTP.",
      "SIGHUP reloads the audit files; SIGTERM/SIGINT stop gracefully."
    })
final class ServeCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  @Mixin ConfigOption config;

  @Override
  public Integer call() throws Exception {
    WorkerConfig workerConfig = config.load();
    return serveUntilStopped(() -> Worker.start(workerConfig, Clock.systemUTC()));
  }

  /** Starts a worker. */
  @FunctionalInterface
  interface Starter {
    Worker start() throws Exception;
  }

  /**
   * Starts the worker and serves until SIGTERM/SIGINT. The shutdown hook and the SIGHUP handler are
   * installed before start-up: a signal during start-up (audits may already be running) interrupts
   * the start, waits for it to end and then stops gracefully, instead of the JVM's abrupt default.
   */
  static int serveUntilStopped(Starter starter) throws Exception {
    AtomicReference<Worker> started = new AtomicReference<>();
    CountDownLatch startFinished = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread starting = Thread.currentThread();
    Thread hook =
        new Thread(
            () -> {
              if (startFinished.getCount() > 0) {
                // A start can wait for its store without end (retrying with backoff) or take
                // minutes on a loaded machine: waiting for it, the node outlived a service
                // manager's stop timeout and was SIGKILLed. The interrupt ends the wait for the
                // store at once, and the start's next wait for a connection.
                LOG.info("stop requested during start-up; ending the start");
                starting.interrupt();
              }
              try {
                startFinished.await(2, TimeUnit.MINUTES);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              Worker worker = started.get();
              if (worker != null) {
                worker.close();
              }
              stopped.countDown();
            },
            "graceful-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean hangupHandled =
        onHangup(
            () -> {
              Worker worker = started.get();
              if (worker == null) {
                LOG.warn("SIGHUP during start-up ignored: the audit files are being loaded now");
              } else {
                worker.reload();
              }
            });
    Worker worker;
    try {
      worker = starter.start();
      started.set(worker);
    } catch (Exception | Error e) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the start ended because the node is being stopped: the hook is running
      }
      throw e;
    } finally {
      startFinished.countDown();
    }
    LOG.info(
        "node {} serving; {}, SIGTERM stops (ready {} ms after the JVM started)",
        worker.auditor().config().nodeId(),
        hangupHandled
            ? "SIGHUP reloads the audit files"
            : "POST /api/reload reloads the audit files (SIGHUP is ignored here)",
        System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime());
    // uninterruptibly: the hook may interrupt this thread just as the start finishes
    boolean interrupted = false;
    while (true) {
      try {
        stopped.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return ExitCodes.CLEAN;
  }

  /**
   * @return whether SIGHUP will call {@code action}: false where it cannot (Windows) or is ignored
   *     (under nohup), which is logged
   */
  static boolean onHangup(Runnable action) {
    try {
      SignalHandler previous = Signal.handle(new Signal("HUP"), signal -> action.run());
      if (previous == SignalHandler.SIG_IGN) {
        // A signal ignored when the JVM started stays ignored: the handler is accepted without
        // error and never called, so kill -HUP did nothing and nothing said so (newuser24)
        LOG.warn(
            "SIGHUP is ignored in this process (started under nohup, or by a parent that ignores"
                + " it), so kill -HUP will not reload the audit files: reload with POST"
                + " /api/reload, or start serve without nohup (setsid, systemd, a container)");
        return false;
      }
      return true;
    } catch (IllegalArgumentException e) {
      // Windows has no SIGHUP
      LOG.warn("SIGHUP cannot be handled here ({}); reload with POST /api/reload", e.getMessage());
      return false;
    }
  }
}
