package io.integrityauditor.audit.scan;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one pass of a {@link ViolationScan} over some rows found, in a form that adds up: rows
 * checked, violations, and for each hash bucket the smallest and largest violating key. Partials of
 * disjoint row ranges (chunks of one run, or the rows past an incremental watermark) merge into
 * exactly what one pass over all of them would have found: counts add, and a bucket's smallest key
 * is the smallest of the partials' smallest keys. So a chunked or incremental run samples the very
 * keys a full run would.
 *
 * <p>Keys compare element-wise in code point order, NULLs last: the order PostgreSQL's {@code
 * min}/{@code max} use on the {@code COLLATE "C"} key arrays the scan builds.
 *
 * @param rowsChecked rows examined
 * @param violations violating rows
 * @param buckets bucket number → [smallest key, largest key]; only buckets with violations
 */
public record ScanPartial(long rowsChecked, long violations, Map<Integer, Bounds> buckets) {

  public static final ScanPartial EMPTY = new ScanPartial(0, 0, Map.of());

  public ScanPartial {
    buckets = Collections.unmodifiableMap(new TreeMap<>(buckets));
  }

  /** The smallest and largest violating key of one bucket. */
  public record Bounds(List<String> lo, List<String> hi) {
    public Bounds {
      lo = Collections.unmodifiableList(new ArrayList<>(lo));
      hi = Collections.unmodifiableList(new ArrayList<>(hi));
    }

    Bounds merge(Bounds other) {
      return new Bounds(
          KEY_ORDER.compare(lo, other.lo) <= 0 ? lo : other.lo,
          KEY_ORDER.compare(hi, other.hi) >= 0 ? hi : other.hi);
    }
  }

  /** The sum of two partials of disjoint rows. */
  public ScanPartial merge(ScanPartial other) {
    Map<Integer, Bounds> merged = new TreeMap<>(buckets);
    other.buckets.forEach((bucket, bounds) -> merged.merge(bucket, bounds, Bounds::merge));
    return new ScanPartial(rowsChecked + other.rowsChecked, violations + other.violations, merged);
  }

  /**
   * The first {@code sampleSize} distinct keys in {@code order} (the key columns' own types: see
   * {@link #orderOf}), among every bucket's smallest and largest key.
   */
  public List<List<String>> sample(int sampleSize, Comparator<List<String>> order) {
    // KEY_ORDER breaks ties, so keys equal as numbers but written differently stay distinct
    TreeSet<List<String>> keys = new TreeSet<>(order.thenComparing(KEY_ORDER));
    for (Bounds bounds : buckets.values()) {
      keys.add(bounds.lo());
      keys.add(bounds.hi());
    }
    List<List<String>> sample = new ArrayList<>();
    for (List<String> key : keys) {
      if (sample.size() == sampleSize) {
        break;
      }
      sample.add(key);
    }
    return sample;
  }

  /**
   * A JSON-friendly form for the store: {@code {"rows", "violations", "buckets": {b: [lo, hi]}}}.
   */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("rows", rowsChecked);
    json.put("violations", violations);
    Map<String, List<List<String>>> bucketJson = new LinkedHashMap<>();
    buckets.forEach(
        (bucket, bounds) -> bucketJson.put(bucket.toString(), List.of(bounds.lo, bounds.hi)));
    json.put("buckets", bucketJson);
    return json;
  }

  /** Reads {@link #toJson()} back. */
  @SuppressWarnings("unchecked")
  public static ScanPartial fromJson(Map<String, Object> json) {
    Map<Integer, Bounds> buckets = new TreeMap<>();
    Map<String, List<List<String>>> bucketJson =
        (Map<String, List<List<String>>>) json.getOrDefault("buckets", Map.of());
    bucketJson.forEach(
        (bucket, bounds) ->
            buckets.put(Integer.valueOf(bucket), new Bounds(bounds.get(0), bounds.get(1))));
    return new ScanPartial(
        ((Number) json.get("rows")).longValue(),
        ((Number) json.get("violations")).longValue(),
        buckets);
  }

  static List<String> key(String[] array) {
    return array == null ? null : Arrays.asList(array);
  }

  /** Element-wise, code point order (PostgreSQL's "C" collation), NULLs last. */
  static final Comparator<List<String>> KEY_ORDER =
      (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
          int byElement = compareElements(a.get(i), b.get(i));
          if (byElement != 0) {
            return byElement;
          }
        }
        return Integer.compare(a.size(), b.size());
      };

  /**
   * Element-wise in each column's own type: numbers (columns flagged in {@code numeric}) by value,
   * so 34 comes before 221, everything else in code point order; NULLs last.
   */
  static Comparator<List<String>> orderOf(List<Boolean> numeric) {
    return (a, b) -> {
      for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
        boolean number = i < numeric.size() && numeric.get(i);
        int byElement =
            number ? compareNumbers(a.get(i), b.get(i)) : compareElements(a.get(i), b.get(i));
        if (byElement != 0) {
          return byElement;
        }
      }
      return Integer.compare(a.size(), b.size());
    };
  }

  private static int compareNumbers(String a, String b) {
    if (a == null || b == null) {
      return compareElements(a, b);
    }
    try {
      return new BigDecimal(a).compareTo(new BigDecimal(b));
    } catch (NumberFormatException e) {
      // NaN and Infinity of a float column: no decimal value, text order among themselves
      return compareElements(a, b);
    }
  }

  private static int compareElements(String a, String b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : 1) : -1;
    }
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
