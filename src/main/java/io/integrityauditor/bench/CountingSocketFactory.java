package io.integrityauditor.bench;

import io.integrityauditor.targets.ConnectingSocketFactory;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The network bytes of the benchmark's audit connections: pgjdbc's {@code socketFactory} URL
 * parameter names this class, whose sockets count every byte read and written. pgjdbc creates it by
 * reflection, hence public.
 */
public final class CountingSocketFactory extends ConnectingSocketFactory {
  static final AtomicLong BYTES = new AtomicLong();

  @Override
  public Socket createSocket() {
    return new CountingSocket();
  }

  private static final class CountingSocket extends Socket {
    private InputStream in;
    private OutputStream out;

    @Override
    public synchronized InputStream getInputStream() throws IOException {
      if (in == null) {
        in =
            new FilterInputStream(super.getInputStream()) {
              @Override
              public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                  BYTES.incrementAndGet();
                }
                return b;
              }

              @Override
              public int read(byte[] buffer, int offset, int length) throws IOException {
                int read = super.read(buffer, offset, length);
                if (read > 0) {
                  BYTES.addAndGet(read);
                }
                return read;
              }
            };
      }
      return in;
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
      if (out == null) {
        out =
            new FilterOutputStream(super.getOutputStream()) {
              @Override
              public void write(int b) throws IOException {
                BYTES.incrementAndGet();
                super.write(b);
              }

              @Override
              public void write(byte[] buffer, int offset, int length) throws IOException {
                BYTES.addAndGet(length);
                out().write(buffer, offset, length);
              }

              private OutputStream out() {
                return this.out;
              }
            };
      }
      return out;
    }
  }
}
