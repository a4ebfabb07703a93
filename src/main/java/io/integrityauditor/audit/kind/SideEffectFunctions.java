package io.integrityauditor.audit.kind;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Functions whose effects escape an audit's READ ONLY transaction and its rollback: they read or
 * write files on the database server, act on other sessions or the server, keep session state, or
 * run SQL given as a string (which no check of the query text can see into). A {@code kind: sql}
 * query calling one is refused unless its audit lists the function in {@code allow_functions}.
 *
 * <p>This is the early, located check of the query text; the fence is the role: at run time a
 * {@code sql} audit refuses to run as a role that could call such functions to any effect
 * (superuser, pg_read_server_files, pg_write_server_files, pg_execute_server_program,
 * pg_signal_backend), since a function the query calls may call them in turn.
 */
final class SideEffectFunctions {
  /** Name, or prefix ending in {@code *}, to what it does. Names are PostgreSQL 12-17's. */
  private static final Map<String, String> DENIED = new LinkedHashMap<>();

  static {
    deny(
        "reads or writes files on the database server",
        "lo_import",
        "lo_export",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_stat_file",
        "pg_ls_*",
        "pg_file_*",
        "pg_logdir_ls");
    deny(
        "acts on other sessions or on the server",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_promote",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_backup_*",
        "pg_start_backup",
        "pg_stop_backup",
        "pg_wal_replay_*",
        "pg_log_backend_memory_contexts",
        "pg_create_*_replication_slot",
        "pg_copy_*_replication_slot",
        "pg_drop_replication_slot",
        "pg_replication_slot_advance",
        "pg_logical_slot_*",
        "pg_logical_emit_message",
        "pg_stat_reset*",
        "pg_stat_statements_reset");
    deny(
        "keeps state in the pooled session beyond the audit's transaction",
        "pg_advisory_*",
        "pg_try_advisory_*");
    deny("changes settings; give planner settings under the audit's settings: key", "set_config");
    deny("runs SQL on another connection, outside the READ ONLY transaction", "dblink*");
    deny(
        "runs SQL given as a string, which no check of the query can see into",
        "query_to_xml*",
        "cursor_to_xml*");
  }

  private static void deny(String effect, String... names) {
    for (String name : names) {
      DENIED.put(name, effect);
    }
  }

  private SideEffectFunctions() {}

  /** What the function does that an audit must not, or empty when it is not on the list. */
  static Optional<String> effect(String functionName) {
    String name = functionName.toLowerCase(Locale.ROOT);
    for (Map.Entry<String, String> denied : DENIED.entrySet()) {
      String pattern = denied.getKey();
      int star = pattern.indexOf('*');
      boolean matches =
          star < 0
              ? name.equals(pattern)
              : name.startsWith(pattern.substring(0, star))
                  && name.endsWith(pattern.substring(star + 1))
                  && name.length() >= pattern.length() - 1;
      if (matches) {
        return Optional.of(denied.getValue());
      }
    }
    return Optional.empty();
  }
}
