package io.integrityauditor.audit.scan;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What one pass of a {@link ViolationScan} over some rows found, in a form that adds up: rows
 * checked, violations, and the sample candidates, the {@code limit} violating keys with the
 * smallest fingerprints among those rows. Partials of disjoint row ranges (chunks of one run, or
 * the rows past an incremental watermark) merge into exactly what one pass over all of them would
 * have found: counts add, and the smallest fingerprints of a union are the smallest among each
 * part's smallest. So a chunked or incremental run samples the very keys a full run would.
 *
 * <p>The sample rule (docs/audits.md): the violating keys whose fingerprint — a 64-bit hash of the
 * whole key, computed by PostgreSQL — is smallest (signed order; equal fingerprints, a collision,
 * by key). Unchanged data keeps its sample run after run; a key that persists stays in the sample
 * unless keys with smaller fingerprints appear.
 *
 * @param rowsChecked rows examined
 * @param violations violating rows
 * @param sample at most {@code limit} candidates, in {@link #CANDIDATE_ORDER}, distinct
 * @param limit how many candidates a partial keeps (the audit's sample size)
 */
public record ScanPartial(long rowsChecked, long violations, List<Candidate> sample, int limit) {

  public static final ScanPartial EMPTY = new ScanPartial(0, 0, List.of(), 0);

  public ScanPartial {
    TreeSet<Candidate> ordered = new TreeSet<>(CANDIDATE_ORDER);
    ordered.addAll(sample);
    List<Candidate> kept = new ArrayList<>();
    for (Candidate candidate : ordered) {
      if (kept.size() == limit) {
        break;
      }
      kept.add(candidate);
    }
    sample = Collections.unmodifiableList(kept);
  }

  /**
   * One violating key and its fingerprint.
   *
   * @param fingerprint PostgreSQL's {@code hashtextextended} of the key's text array
   * @param key the key columns' values as text (null for NULL), in the audit's column order
   */
  public record Candidate(long fingerprint, List<String> key) {
    public Candidate {
      key = Collections.unmodifiableList(new ArrayList<>(key));
    }
  }

  /**
   * The sample's candidates among keys streaming past: the {@code limit} smallest in {@link
   * #CANDIDATE_ORDER}, distinct, in bounded memory.
   */
  public static final class Smallest {
    private final int limit;
    private final TreeSet<Candidate> kept = new TreeSet<>(CANDIDATE_ORDER);

    public Smallest(int limit) {
      this.limit = limit;
    }

    /**
     * Whether a key with this fingerprint may be among the smallest: callers build its key texts
     * only then (a key with the largest kept fingerprint may still be smaller by key).
     */
    public boolean admits(long fingerprint) {
      return limit > 0 && (kept.size() < limit || fingerprint <= kept.last().fingerprint());
    }

    public void add(Candidate candidate) {
      kept.add(candidate);
      if (kept.size() > limit) {
        kept.pollLast();
      }
    }

    public List<Candidate> candidates() {
      return List.copyOf(kept);
    }
  }

  /** By fingerprint, then (a collision) by key in code point order. */
  static final Comparator<Candidate> CANDIDATE_ORDER =
      Comparator.comparingLong(Candidate::fingerprint)
          .thenComparing(Candidate::key, ScanPartial::compareKeys);

  /** The sum of two partials of disjoint rows. */
  public ScanPartial merge(ScanPartial other) {
    List<Candidate> union = new ArrayList<>(sample);
    union.addAll(other.sample);
    return new ScanPartial(
        rowsChecked + other.rowsChecked,
        violations + other.violations,
        union,
        Math.max(limit, other.limit));
  }

  /**
   * The measurement these rows make: the chosen candidates shown in key order, numbers by value
   * (for a column flagged in {@code numeric}, and for one whose type is not known here, a sql
   * audit's, when every sampled value is a number).
   *
   * @param names the sample columns' names, in key order
   */
  public Measurement measurement(List<String> names, List<Boolean> numeric, List<String> notes) {
    List<List<String>> chosen = sample.stream().map(Candidate::key).distinct().toList();
    List<Boolean> byValue = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      int column = i;
      byValue.add(numeric.get(i) || chosen.stream().allMatch(key -> isNumber(key.get(column))));
    }
    List<List<String>> keys = chosen.stream().sorted(orderOf(byValue)).toList();
    List<SampleKey> samples = new ArrayList<>();
    for (List<String> key : keys) {
      Map<String, String> values = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        values.put(names.get(i), key.get(i));
      }
      samples.add(new SampleKey(values));
    }
    return new Measurement(violations, rowsChecked, samples, notes);
  }

  /**
   * A JSON-friendly form for the store: {@code {"rows", "violations", "limit", "sample":
   * [[fingerprint, [key...]]]}}; fingerprints as text (JSON numbers lose 64-bit precision in many
   * readers).
   */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("rows", rowsChecked);
    json.put("violations", violations);
    json.put("limit", limit);
    List<List<Object>> candidates = new ArrayList<>();
    for (Candidate candidate : sample) {
      candidates.add(List.of(Long.toString(candidate.fingerprint()), candidate.key()));
    }
    json.put("sample", candidates);
    return json;
  }

  /**
   * Reads {@link #toJson()} back. A partial stored by an older version (hash buckets, no "sample")
   * reads as counts without candidates: its scan's SQL differs, so the run that finds it sweeps
   * every row anyway.
   */
  @SuppressWarnings("unchecked")
  public static ScanPartial fromJson(Map<String, Object> json) {
    List<Candidate> candidates = new ArrayList<>();
    for (List<Object> candidate : (List<List<Object>>) json.getOrDefault("sample", List.of())) {
      candidates.add(
          new Candidate(
              Long.parseLong(candidate.get(0).toString()), (List<String>) candidate.get(1)));
    }
    return new ScanPartial(
        ((Number) json.get("rows")).longValue(),
        ((Number) json.get("violations")).longValue(),
        candidates,
        ((Number) json.getOrDefault("limit", candidates.size())).intValue());
  }

  /** Element-wise, code point order (PostgreSQL's "C" collation), NULLs last. */
  static int compareKeys(List<String> a, List<String> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int byElement = compareElements(a.get(i), b.get(i));
      if (byElement != 0) {
        return byElement;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  /**
   * The order samples are shown in: element-wise in each column's own type, numbers (columns
   * flagged in {@code numeric}) by value, so 34 comes before 221, everything else in code point
   * order; NULLs last.
   */
  static Comparator<List<String>> orderOf(List<Boolean> numeric) {
    Comparator<List<String>> byType =
        (a, b) -> {
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
    // keys equal as numbers but written differently stay distinct and ordered
    return byType.thenComparing(ScanPartial::compareKeys);
  }

  /** Whether a key value is a decimal number (NULL counts as one: it sorts last either way). */
  static boolean isNumber(String value) {
    if (value == null) {
      return true;
    }
    try {
      new BigDecimal(value);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
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
