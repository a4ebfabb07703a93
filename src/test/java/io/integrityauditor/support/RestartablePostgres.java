package io.integrityauditor.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;

/** A PostgreSQL of its own that a fault test can stop and start again on the same port. */
public final class RestartablePostgres implements AutoCloseable {
  private final Path data;
  private int port;
  private EmbeddedPostgres server;

  public RestartablePostgres(Path data) throws IOException {
    this.data = data;
    this.server =
        EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start();
    this.port = server.getPort();
  }

  public TestPostgres.Database database() {
    return new TestPostgres.Database("postgres", server);
  }

  public String url() {
    return "jdbc:postgresql://localhost:" + port + "/postgres";
  }

  public void stop() throws IOException {
    server.close();
    server = null;
  }

  public void start() throws IOException {
    server =
        EmbeddedPostgres.builder()
            .setDataDirectory(data)
            .setCleanDataDirectory(false)
            .setPort(port)
            .start();
  }

  @Override
  public void close() throws IOException {
    if (server != null) {
      server.close();
    }
  }
}
