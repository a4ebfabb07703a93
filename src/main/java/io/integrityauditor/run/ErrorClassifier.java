package io.integrityauditor.run;

import io.integrityauditor.config.Redactor;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Maps failures to a {@link RunStatus} and a stable error class by SQLSTATE. */
public final class ErrorClassifier {
  private static final Pattern SCHEMA_DENIED =
      Pattern.compile("permission denied for schema (\\S+)");

  private ErrorClassifier() {}

  /**
   * The error of a failure to reach or read a target outside an audit's run (its catalog, a probe):
   * {@code authentication} for a wrong password, {@code connection} for an unreachable server, with
   * the server's own message.
   */
  public static RunError targetFailure(Throwable failure) {
    return classify(failure, false, List.of()).error();
  }

  /** A failure with its status and class. */
  record Classified(RunStatus status, RunError error, boolean retryable) {}

  /**
   * A query the node cancelled itself: only a graceful stop does ({@code Cancellation}). The
   * server's own words, "canceling statement due to user request", read as if a person did it.
   */
  private static final Classified STOPPED_BY_SHUTDOWN =
      new Classified(
          RunStatus.INTERRUPTED,
          new RunError(
              "interrupted",
              "the node was stopping (SIGTERM) and cancelled the query when"
                  + " scheduler.shutdown_grace ran out; this fire time is not run again: run"
                  + " `trigger` for the audit if it should not wait for its next one"),
          false);

  /**
   * @param relations the tables the audit reads, named in lock and permission errors (the server
   *     does not say which relation it waited for when the lock is taken while planning)
   */
  static Classified classify(Throwable failure, boolean cancelledByUs, List<String> relations) {
    SQLException sql = sqlException(failure);
    String state = sql == null ? null : sql.getSQLState();
    String message = Redactor.redact(messageOf(sql != null ? sql : failure));
    if (state == null) {
      if (cancelledByUs) {
        return STOPPED_BY_SHUTDOWN;
      }
      if (failure instanceof InterruptedException) {
        return new Classified(RunStatus.INTERRUPTED, new RunError("interrupted", message), false);
      }
      return new Classified(
          RunStatus.ERROR,
          new RunError("internal_" + failure.getClass().getSimpleName(), message),
          false);
    }
    if (state.equals("57014")) {
      // query_canceled: our statement_timeout, or a cancel we sent at shutdown
      if (cancelledByUs) {
        return STOPPED_BY_SHUTDOWN;
      }
      // the server's words alone left on-call guessing what to change (newuser23)
      return new Classified(
          RunStatus.TIMEOUT,
          new RunError(
              "timeout",
              message
                  + " (the query ran longer than the audit's timeout: raise `timeout` on the audit,"
                  + " or see where the time goes with `explain AUDIT_ID --analyze`; a big table can"
                  + " run `mode: chunked`)"),
          false);
    }
    if (state.equals("55P03")) {
      return new Classified(
          RunStatus.ERROR,
          new RunError(
              "lock_timeout",
              message
                  + " (another session holds a conflicting lock on one of "
                  + String.join(", ", relations)
                  + ", e.g. a migration; the audit gave up instead of queueing)"),
          false);
    }
    if (state.equals("25006")) {
      return new Classified(
          RunStatus.ERROR,
          new RunError(
              "read_only",
              message
                  + " (audits run in READ ONLY transactions: a query that writes fails, and"
                  + " nothing was changed)"),
          false);
    }
    if (state.equals("40001") || state.equals("40P01")) {
      return new Classified(RunStatus.ERROR, new RunError("replica_conflict", message), true);
    }
    if (state.startsWith("08")
        || state.equals("57P01")
        || state.equals("57P02")
        || state.equals("57P03")) {
      // pgjdbc's "Connection attempt timed out." (a server that took the connection and did not
      // answer within loginTimeout) named no setting (newuser23, at load 60)
      String hint =
          message.contains("timed out")
              ? " (the server did not answer within the target's connect_timeout: check that it is"
                  + " up and reachable from this host; a busy server may need a longer"
                  + " connect_timeout)"
              : "";
      return new Classified(RunStatus.ERROR, new RunError("connection", message + hint), true);
    }
    if (state.equals("28P01") || state.equals("28000")) {
      return new Classified(RunStatus.ERROR, new RunError("authentication", message), false);
    }
    if (state.equals("42501")) {
      // "permission denied for schema s" wants USAGE on the schema: SELECT alone would not do
      Matcher schema = SCHEMA_DENIED.matcher(message);
      String grant =
          schema.find()
              ? " (grant USAGE on schema " + schema.group(1) + " and SELECT on "
              : " (grant SELECT on ";
      return new Classified(
          RunStatus.ERROR,
          new RunError(
              "permission", message + grant + String.join(", ", relations) + " to the audit role)"),
          false);
    }
    return new Classified(
        RunStatus.ERROR, new RunError("sql_" + state.toUpperCase(Locale.ROOT), message), false);
  }

  /**
   * The SQLException that says what went wrong: the innermost one with a SQLSTATE. HikariCP reports
   * a connection it could not open as "Connection is not available, request timed out" and carries
   * the server's refusal (a wrong password: 28P01) as its cause.
   */
  private static SQLException sqlException(Throwable failure) {
    SQLException found = null;
    for (Throwable t = failure; t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof SQLException sql && (found == null || sql.getSQLState() != null)) {
        found = sql;
      }
    }
    return found;
  }

  private static String messageOf(Throwable t) {
    String message = t.getMessage();
    if (message == null || message.isBlank()) {
      return t.getClass().getSimpleName();
    }
    // pgjdbc puts details ("Where: while locking relation ...") on further lines: keep them, on
    // one line, bounded so a huge message cannot bloat the run history.
    String oneLine =
        message.strip().replaceAll("\\s*\\n\\s*", "; ").replaceAll(";? *Position: \\d+", "");
    return oneLine.length() <= 1000 ? oneLine : oneLine.substring(0, 997) + "...";
  }
}
