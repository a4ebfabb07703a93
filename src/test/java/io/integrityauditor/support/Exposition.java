package io.integrityauditor.support;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses Prometheus text exposition into "name{labels}" → value. */
public final class Exposition {
  private Exposition() {}

  public static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String value = line.substring(space + 1);
      samples.put(
          line.substring(0, space),
          switch (value) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(value);
          });
    }
    return samples;
  }

  /** The key of a per-audit sample of an audit nobody owns. */
  public static String audit(
      String metric, String audit, String kind, String severity, String target) {
    return audit(metric, audit, kind, "", severity, target);
  }

  /** The key of a per-audit sample, labels in Micrometer's (alphabetical) order. */
  public static String audit(
      String metric, String audit, String kind, String owner, String severity, String target) {
    return metric
        + "{audit=\""
        + audit
        + "\",kind=\""
        + kind
        + "\",owner=\""
        + owner
        + "\",severity=\""
        + severity
        + "\",target=\""
        + target
        + "\"}";
  }
}
