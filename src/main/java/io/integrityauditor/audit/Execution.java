package io.integrityauditor.audit;

import io.integrityauditor.catalog.ColumnInfo;
import io.integrityauditor.catalog.IndexInfo;
import io.integrityauditor.catalog.TableInfo;
import io.integrityauditor.config.Fields;
import io.integrityauditor.config.Node;
import io.integrityauditor.config.Schedule;
import io.integrityauditor.config.Suggest;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How an audit's query is executed on big tables (docs/audits.md, "Big tables"): in one statement,
 * in chunks of the driving table's key (each in its own short transaction, possibly on several
 * nodes), or incrementally past a watermark with periodic full sweeps; and the planner settings set
 * (as {@code SET LOCAL}) in its transactions.
 *
 * @param mode how it runs
 * @param chunkTarget chunked runs size each statement to take about this long
 * @param chunkAboveRows {@code auto} chunks a driving table estimated at this many rows or more
 * @param watermark the incremental column (monotonic key or timestamp of the driving table)
 * @param watermarkLag incremental runs leave rows this recent (by a timestamp watermark) to the
 *     next run, so rows committed late by slow transactions are not skipped
 * @param fullSweep when an incremental audit re-checks every row (catches deleted parents)
 * @param settings planner settings, by name, set with {@code set_config(name, value, true)}
 * @param trackKeys the most violating keys a run tracks across runs (their fingerprints kept in the
 *     store); with more violations the new/persisting/gone split is unknown; 0: not tracked
 */
public record Execution(
    Mode mode,
    Duration chunkTarget,
    long chunkAboveRows,
    Optional<String> watermark,
    Duration watermarkLag,
    Schedule fullSweep,
    Map<String, String> settings,
    long trackKeys) {

  public static final long DEFAULT_TRACK_KEYS = 1_000_000L;
  public static final Duration DEFAULT_CHUNK_TARGET = Duration.ofSeconds(30);
  public static final long DEFAULT_CHUNK_ABOVE_ROWS = 10_000_000L;
  public static final String DEFAULT_FULL_SWEEP = "@weekly";

  public static final Execution DEFAULT =
      new Execution(
          Mode.AUTO,
          DEFAULT_CHUNK_TARGET,
          DEFAULT_CHUNK_ABOVE_ROWS,
          Optional.empty(),
          Duration.ZERO,
          Schedule.parse(DEFAULT_FULL_SWEEP, ZoneOffset.UTC),
          Map.of(),
          DEFAULT_TRACK_KEYS);

  public Execution {
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }

  /** How a run is executed. */
  public enum Mode {
    /**
     * Chunked when the driving table is estimated at {@code chunk_above_rows} or more, else full.
     */
    AUTO,
    /** One statement in one transaction. */
    FULL,
    /** Key ranges of the driving table, each statement in its own short transaction. */
    CHUNKED,
    /** Only the rows past the watermark; a full sweep when one is due. */
    INCREMENTAL;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The keys this class reads, in an audit or in a file's {@code defaults}. */
  static final List<String> KEYS =
      List.of(
          "mode",
          "chunk_target",
          "chunk_above_rows",
          "watermark",
          "watermark_lag",
          "full_sweep",
          "settings",
          "track_keys");

  /**
   * Reads the execution keys of an audit over the file's defaults.
   *
   * @param kind the audit's kind (chunked and incremental runs need a kind that can be split)
   */
  static Execution parse(
      Fields fields, Execution defaults, Optional<AuditKind> kind, List<String> splittableKinds) {
    Mode mode = fields.oneOf("mode", Mode.class).orElse(defaults.mode());
    Duration target =
        fields
            .duration("chunk_target", Duration.ofMillis(10), Duration.ofHours(24))
            .orElse(defaults.chunkTarget());
    long above =
        fields.integer("chunk_above_rows", 1, Long.MAX_VALUE).orElse(defaults.chunkAboveRows());
    Optional<String> watermark = fields.string("watermark").or(defaults::watermark);
    Duration lag =
        fields
            .duration("watermark_lag", Duration.ZERO, Duration.ofDays(30))
            .orElse(defaults.watermarkLag());
    Schedule sweep = defaults.fullSweep();
    Optional<String> sweepText = fields.string("full_sweep");
    if (sweepText.isPresent()) {
      try {
        sweep = Schedule.parse(sweepText.get(), ZoneOffset.UTC);
      } catch (IllegalArgumentException e) {
        fields.problem("full_sweep", e.getMessage());
      }
    }
    Map<String, String> settings = new LinkedHashMap<>(defaults.settings());
    fields.map("settings").ifPresent(map -> settings.putAll(settings(map)));
    boolean splittable = kind.map(AuditKind::splittable).orElse(true);
    if ((mode == Mode.CHUNKED || mode == Mode.INCREMENTAL) && !splittable && fields.has("mode")) {
      fields.problem(
          "mode",
          mode.label()
              + " runs split the driving table into key ranges, which kind "
              + kind.map(AuditKind::name).orElse("?")
              + " cannot be; supported for kind "
              + String.join(", ", splittableKinds)
              + " (use mode: full or auto)");
    }
    if (mode == Mode.INCREMENTAL && watermark.isEmpty() && !fields.has("watermark")) {
      fields.problem(
          "mode",
          "incremental runs need a watermark: a monotonic key or timestamp column of the child"
              + " with an index (watermark: id, or watermark: created_at)");
    }
    long trackKeys = fields.integer("track_keys", 0, 100_000_000).orElse(defaults.trackKeys());
    return new Execution(mode, target, above, watermark, lag, sweep, settings, trackKeys);
  }

  /** File-level defaults: every key may be given there too. */
  static Execution defaults(Fields fields) {
    return parse(fields, DEFAULT, Optional.empty(), List.of());
  }

  /**
   * Checks, against the catalog, what chunked and incremental runs need from the driving table: a
   * key to range over, and for incremental runs an indexed watermark column of an ordered type.
   */
  public void bind(BindContext context, TableInfo table) {
    if (mode == Mode.CHUNKED && chunkKey(table).isEmpty()) {
      context.problem(
          "mode",
          "chunked runs split "
              + table.id()
              + " into ranges of its primary key (or a unique key), but it has none; add one or"
              + " use mode: full");
    }
    if (mode != Mode.INCREMENTAL || watermark.isEmpty()) {
      return;
    }
    Optional<ColumnInfo> column = context.column("watermark", table, watermark.get());
    if (column.isEmpty()) {
      return;
    }
    if (!ORDERED_CATEGORIES.contains(column.get().type().category())) {
      context.problem(
          "watermark",
          "column "
              + column.get().name()
              + " is "
              + column.get().type()
              + "; a watermark must be a number, a date or a timestamp that only grows");
      return;
    }
    boolean indexed =
        table.indexes().stream()
            .map(IndexInfo::columns)
            .anyMatch(cols -> !cols.isEmpty() && cols.get(0).equals(column.get().name()));
    if (!indexed) {
      context.problem(
          "watermark",
          "no index of "
              + table.id()
              + " starts with "
              + column.get().name()
              + ": every incremental run would read the whole table to find the new rows; create"
              + " one (CREATE INDEX CONCURRENTLY ... ("
              + column.get().name()
              + ")) or use mode: chunked");
    }
    if (!watermarkLag.isZero() && column.get().type().category() != 'D') {
      context.problem(
          "watermark_lag",
          "applies to a date or timestamp watermark; "
              + column.get().name()
              + " is "
              + column.get().type());
    }
  }

  /** pg_type.typcategory of types a watermark can have: numbers, dates and timestamps. */
  private static final Set<Character> ORDERED_CATEGORIES = Set.of('N', 'D');

  /**
   * The column chunks range over: the first column of the primary key, else of a unique key whose
   * first column is NOT NULL.
   */
  public static Optional<ColumnInfo> chunkKey(TableInfo table) {
    List<String> pk = table.primaryKey().map(c -> c.columns()).orElse(List.of());
    if (!pk.isEmpty()) {
      return table.column(pk.get(0));
    }
    for (var key : table.uniqueKeys()) {
      for (String name : key) {
        Optional<ColumnInfo> column = table.column(name);
        if (column.isPresent() && column.get().notNull() && key.size() == 1) {
          return column;
        }
      }
    }
    return Optional.empty();
  }

  /** The watermark column of the driving table (after {@link #bind} accepted it). */
  public Optional<ColumnInfo> watermarkColumn(TableInfo table) {
    return watermark.flatMap(table::column);
  }

  // ---- planner settings ------------------------------------------------------------------

  private enum Kind {
    MEMORY,
    INTEGER,
    DECIMAL,
    BOOLEAN
  }

  /** Settings an audit may change, and what their values look like. */
  private static final Map<String, Kind> SETTINGS = new LinkedHashMap<>();

  static {
    SETTINGS.put("work_mem", Kind.MEMORY);
    SETTINGS.put("hash_mem_multiplier", Kind.DECIMAL);
    SETTINGS.put("max_parallel_workers_per_gather", Kind.INTEGER);
    SETTINGS.put("parallel_setup_cost", Kind.DECIMAL);
    SETTINGS.put("parallel_tuple_cost", Kind.DECIMAL);
    SETTINGS.put("min_parallel_table_scan_size", Kind.MEMORY);
    SETTINGS.put("min_parallel_index_scan_size", Kind.MEMORY);
    SETTINGS.put("effective_cache_size", Kind.MEMORY);
    SETTINGS.put("effective_io_concurrency", Kind.INTEGER);
    SETTINGS.put("random_page_cost", Kind.DECIMAL);
    SETTINGS.put("seq_page_cost", Kind.DECIMAL);
    SETTINGS.put("cpu_tuple_cost", Kind.DECIMAL);
    SETTINGS.put("jit", Kind.BOOLEAN);
    for (String plan :
        List.of(
            "hashjoin",
            "mergejoin",
            "nestloop",
            "hashagg",
            "seqscan",
            "indexscan",
            "indexonlyscan",
            "bitmapscan",
            "sort",
            "material",
            "memoize",
            "parallel_hash",
            "parallel_append")) {
      SETTINGS.put("enable_" + plan, Kind.BOOLEAN);
    }
  }

  private static final Pattern MEMORY = Pattern.compile("\\d{1,10}\\s*(kB|MB|GB|TB)?");
  private static final Pattern INTEGER = Pattern.compile("\\d{1,9}");
  private static final Pattern DECIMAL = Pattern.compile("\\d{1,9}(\\.\\d{1,9})?");
  private static final Set<String> BOOLEANS = Set.of("on", "off", "true", "false");

  private static Map<String, String> settings(Fields fields) {
    Map<String, String> settings = new LinkedHashMap<>();
    for (var entry : fields.entries().entrySet()) {
      String name = entry.getKey();
      Kind kind = SETTINGS.get(name);
      if (kind == null) {
        fields.problem(
            name,
            "not a setting an audit may change"
                + Suggest.didYouMean(name, SETTINGS.keySet())
                + "; allowed: "
                + String.join(", ", SETTINGS.keySet())
                + (name.endsWith("_timeout") ? " (the audit's timeout sets " + name + ")" : ""));
        continue;
      }
      Node value = entry.getValue().value();
      if (!(value instanceof Node.ScalarNode scalar) || scalar.isNull()) {
        fields.problem(name, "expected a value, found " + value.shape());
        continue;
      }
      String text = scalar.text().trim();
      String normalised =
          switch (kind) {
            case MEMORY -> MEMORY.matcher(text).matches() ? text.replace(" ", "") : null;
            case INTEGER -> INTEGER.matcher(text).matches() ? text : null;
            case DECIMAL -> DECIMAL.matcher(text).matches() ? text : null;
            case BOOLEAN ->
                BOOLEANS.contains(text.toLowerCase(Locale.ROOT))
                    ? text.toLowerCase(Locale.ROOT)
                    : null;
          };
      if (normalised == null) {
        fields.problem(
            name,
            "expected "
                + switch (kind) {
                  case MEMORY -> "an amount of memory like 64MB, 1GB or 512kB";
                  case INTEGER -> "a whole number";
                  case DECIMAL -> "a number like 1.5";
                  case BOOLEAN -> "on or off";
                }
                + ", found '"
                + text
                + "'");
        continue;
      }
      settings.put(name, normalised);
    }
    return settings;
  }
}
