package io.integrityauditor.targets;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;

/**
 * Sockets whose {@code close()} returns once the server process behind them has ended: pgjdbc's
 * {@code close()} sends Terminate and closes the socket at once, while the backend goes on being
 * listed in {@code pg_stat_activity} (and holding its {@code max_connections} slot) until it has
 * exited. A budget place freed right after such a close could be taken by another node, and the
 * server would briefly hold one session more than the budget (seen at load 30 in the fleet bench: 5
 * sessions for a budget of 4). So the socket half-closes and reads to the end: PostgreSQL closes
 * its side only at process exit, after it has left {@code pg_stat_activity}. Bounded by {@link
 * #WAIT_MILLIS}; a backend still busy with a statement (it reads the socket only between
 * statements) is then left to {@code client_connection_check_interval}.
 *
 * <p>pgjdbc creates the factory by reflection from the {@code socketFactory} property, hence
 * public.
 */
public final class BackendExitSocketFactory extends ConnectingSocketFactory {
  static final int WAIT_MILLIS = 2_000;

  @Override
  public Socket createSocket() {
    return new BackendExitSocket();
  }

  private static final class BackendExitSocket extends Socket {
    private boolean closing;

    @Override
    public synchronized void close() throws IOException {
      // pgjdbc closes its output stream first, which closes the socket: this runs then, once
      if (closing) {
        return;
      }
      closing = true;
      try {
        if (isConnected() && !isClosed() && !isInputShutdown()) {
          awaitServerEnd();
        }
      } finally {
        super.close();
      }
    }

    private void awaitServerEnd() {
      try {
        shutdownOutput();
        setSoTimeout(WAIT_MILLIS);
        InputStream in = getInputStream();
        byte[] rest = new byte[512];
        long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000L;
        while (in.read(rest) >= 0 && System.nanoTime() < deadline) {
          // whatever the server still sends (a notice, an error) is of no use to a closed
          // connection
        }
      } catch (IOException e) {
        // timed out or reset: the socket is closed anyway, as pgjdbc would have closed it
      }
    }
  }
}
