package io.integrityauditor.suggest;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.core.NativeQuery;
import org.postgresql.core.Parser;

/**
 * Loads a published schema file (a {@code pg_dump} plain-text dump or a hand-written script) the
 * way a new user would with {@code psql}, into a database of the embedded PostgreSQL:
 *
 * <ul>
 *   <li>psql meta-commands ({@code \connect}, {@code \restrict}, {@code \set}...) are skipped: the
 *       database is already chosen;
 *   <li>{@code COPY ... FROM stdin;} data blocks are streamed through pgjdbc's {@code CopyManager};
 *   <li>statements are split by pgjdbc's own SQL parser (quotes, dollar quotes, comments) and run
 *       one by one, so one failure does not stop the rest;
 *   <li>an extension the server does not have is skipped, and a table column of a type that
 *       extension would have defined ({@code geometry}) is loaded as {@code bytea}: it cannot hold
 *       a reference, and the table keeps its keys and other columns;
 *   <li>every other failed statement is skipped and listed in {@link Loaded#skipped()}.
 * </ul>
 */
final class DumpLoader {
  private static final Pattern COPY_FROM_STDIN =
      Pattern.compile("(?is)^\\s*COPY\\s+.+\\s+FROM\\s+stdin.*;\\s*$");

  /** {@code type "public.geometry" does not exist}. */
  private static final Pattern UNDEFINED_TYPE =
      Pattern.compile("type \"(?:([^\".]+)\\.)?([^\"]+)\" does not exist");

  private static final Pattern EXTENSION =
      Pattern.compile("(?is)extension\\s+(?:if not exists\\s+)?\"?([a-z0-9_]+)\"?");

  private DumpLoader() {}

  /**
   * What loading did.
   *
   * @param statements statements run successfully (COPY blocks included)
   * @param skipped statements that failed, with the server's message (first line)
   * @param substitutedTypes types of absent extensions loaded as {@code bytea}
   */
  record Loaded(int statements, List<String> skipped, Set<String> substitutedTypes) {}

  static Loaded load(Connection connection, Path file) throws IOException, SQLException {
    String script = Files.readString(file, StandardCharsets.UTF_8);
    connection.setAutoCommit(true);
    Run run = new Run(connection);
    StringBuilder sql = new StringBuilder();
    // inside a statement: a line of SQL seen since the last one ending with a semicolon (dumps end
    // each statement at the end of a line; meta-commands and COPY start between statements)
    boolean open = false;
    List<String> lines = script.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (!open && line.startsWith("\\")) {
        continue; // a psql meta-command
      }
      if (!open && COPY_FROM_STDIN.matcher(line).matches()) {
        run.statements(sql.toString());
        sql.setLength(0);
        StringBuilder data = new StringBuilder();
        for (i++; i < lines.size() && !lines.get(i).equals("\\."); i++) {
          data.append(lines.get(i)).append('\n');
        }
        run.copy(line, data.toString());
        continue;
      }
      sql.append(line).append('\n');
      String code = line.strip();
      if (!code.isEmpty() && !code.startsWith("--")) {
        open = !code.endsWith(";");
      }
    }
    run.statements(sql.toString());
    return new Loaded(run.done, List.copyOf(run.skipped), Set.copyOf(run.substituted));
  }

  private static List<NativeQuery> split(String sql) throws SQLException {
    return Parser.parseJdbcSql(sql, true, false, true, false, false);
  }

  private static final class Run {
    private final Connection connection;
    private final List<String> skipped = new ArrayList<>();
    private final Set<String> absentExtensions = new HashSet<>();
    private final Set<String> substituted = new HashSet<>();
    private int done;

    Run(Connection connection) {
      this.connection = connection;
    }

    void statements(String sql) throws SQLException {
      if (sql.isBlank()) {
        return;
      }
      for (NativeQuery query : split(sql)) {
        String text = withoutLeadingComments(query.nativeSql);
        if (!text.isEmpty()) {
          statement(text);
        }
      }
    }

    private void statement(String text) throws SQLException {
      String lower = text.toLowerCase(Locale.ROOT);
      if (lower.matches("(?s)^(comment on extension|create extension).*")) {
        Matcher name = EXTENSION.matcher(text);
        if (name.find() && !available(name.group(1))) {
          absentExtensions.add(name.group(1));
          skipped.add(firstLine(text) + ": extension not available on this server");
          return;
        }
      }
      String attempt = text;
      for (int tries = 0; tries < 10; tries++) {
        try (Statement statement = connection.createStatement()) {
          statement.execute(attempt);
          done++;
          return;
        } catch (SQLException e) {
          Matcher undefined = UNDEFINED_TYPE.matcher(String.valueOf(e.getMessage()));
          if (!absentExtensions.isEmpty()
              && lower.startsWith("create table")
              && "42704".equals(e.getSQLState())
              && undefined.find()) {
            String type = undefined.group(2);
            String replaced = replaceType(attempt, undefined.group(1), type);
            if (!replaced.equals(attempt)) {
              substituted.add(type);
              attempt = replaced;
              continue;
            }
          }
          if (lower.matches("(?s).*\\bcreate extension\\b.*")) {
            // listed by the server but not installed (control file without its library)
            Matcher name = EXTENSION.matcher(text);
            if (name.find()) {
              absentExtensions.add(name.group(1));
            }
          }
          skipped.add(firstLine(text) + ": " + firstLine(String.valueOf(e.getMessage())));
          return;
        }
      }
    }

    private boolean available(String extension) throws SQLException {
      try (var statement =
          connection.prepareStatement("SELECT 1 FROM pg_available_extensions WHERE name = ?")) {
        statement.setString(1, extension);
        try (var rows = statement.executeQuery()) {
          return rows.next();
        }
      }
    }

    void copy(String command, String data) throws SQLException {
      try {
        connection
            .unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn(command.strip().replaceFirst(";$", ""), new StringReader(data));
        done++;
      } catch (IOException | SQLException e) {
        skipped.add(firstLine(command) + ": " + firstLine(String.valueOf(e.getMessage())));
      }
    }
  }

  /** {@code public.geometry(Polygon,4326)} or {@code geometry} in a column list, as bytea. */
  private static String replaceType(String sql, String schema, String type) {
    String qualified =
        (schema == null ? "" : "(?:\"?" + Pattern.quote(schema) + "\"?\\.)?")
            + "\"?"
            + Pattern.quote(type)
            + "\"?";
    return sql.replaceAll("(?<=\\s)" + qualified + "(\\([^)]*\\))?(?=[\\s,\\[])", "bytea");
  }

  private static String withoutLeadingComments(String sql) {
    String stripped = sql.strip();
    while (stripped.startsWith("--")) {
      int newline = stripped.indexOf('\n');
      stripped = newline < 0 ? "" : stripped.substring(newline + 1).strip();
    }
    return stripped;
  }

  private static String firstLine(String text) {
    String stripped = text.strip();
    int newline = stripped.indexOf('\n');
    return newline < 0 ? stripped : stripped.substring(0, newline);
  }
}
