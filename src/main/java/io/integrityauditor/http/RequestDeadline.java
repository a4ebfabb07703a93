package io.integrityauditor.http;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the whole time a client may take to send a request, from its first byte until the route
 * starts answering. Jetty's idle timeout is per read: a client sending one byte every few seconds
 * never trips it and keeps its connection (and a connection slot) forever, which is how 40 slow
 * clients shut out {@code /metrics} on the old listener. Here a sweep closes any connection that
 * has received bytes of a request not dispatched within the deadline. Only the time spent
 * <em>receiving</em> counts: a slow route (a reload reading catalogs) is the node's own business.
 */
final class RequestDeadline implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RequestDeadline.class);

  private static final long HANDLING = -1;

  private final ServerConnector connector;
  private final long deadlineNanos;

  /**
   * Per connection: {@link #HANDLING} while a route answers, else how many bytes it had received
   * when its latest request was answered (any byte beyond belongs to a request still arriving).
   */
  private final Map<EndPoint, Long> answeredAt = new ConcurrentHashMap<>();

  /** Per connection with a request arriving: since when (nano time), as first seen by a sweep. */
  private final Map<EndPoint, Long> arrivingSince = new ConcurrentHashMap<>();

  private final ScheduledExecutorService sweeper =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "http-deadline");
            thread.setDaemon(true);
            return thread;
          });

  RequestDeadline(ServerConnector connector, Duration deadline, Duration sweepEvery) {
    this.connector = connector;
    this.deadlineNanos = deadline.toNanos();
    sweeper.scheduleWithFixedDelay(
        this::sweep, sweepEvery.toMillis(), sweepEvery.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A route starts answering a request that arrived on {@code endPoint}. */
  void handling(EndPoint endPoint) {
    answeredAt.put(endPoint, HANDLING);
    arrivingSince.remove(endPoint);
  }

  /** The route's answer is complete; the connection had received {@code bytesIn} by then. */
  void answered(EndPoint endPoint, long bytesIn) {
    answeredAt.put(endPoint, bytesIn);
  }

  private void sweep() {
    try {
      var open = connector.getConnectedEndPoints();
      answeredAt.keySet().retainAll(open);
      arrivingSince.keySet().retainAll(open);
      long now = System.nanoTime();
      for (EndPoint endPoint : open) {
        Connection connection = endPoint.getConnection();
        long answered = answeredAt.getOrDefault(endPoint, 0L);
        if (connection == null || answered == HANDLING || connection.getBytesIn() <= answered) {
          arrivingSince.remove(endPoint);
          continue;
        }
        long since = arrivingSince.computeIfAbsent(endPoint, e -> now);
        if (now - since > deadlineNanos) {
          LOG.info(
              "HTTP: closing a connection from {} whose request took longer than {} s to arrive",
              endPoint.getRemoteSocketAddress(),
              TimeUnit.NANOSECONDS.toSeconds(deadlineNanos));
          arrivingSince.remove(endPoint);
          answeredAt.remove(endPoint);
          endPoint.close();
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("HTTP request deadline sweep failed: {}", e.toString());
    }
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }
}
