package io.integrityauditor.config;

/**
 * One mistake in a configuration or audit file.
 *
 * @param location file and line
 * @param auditId the audit it belongs to, or null for file-level problems
 * @param key the dotted key path (e.g. {@code child.columns}), or null
 * @param message what is wrong and what to do about it
 */
public record ConfigProblem(Location location, String auditId, String key, String message) {

  /** {@code audits/apms.yaml:14: audit 'wi_config': key 'child.columns': <message>} */
  public String format() {
    return format("");
  }

  /**
   * The same for a finding that does not stop anything: {@code audits/apms.yaml:14: warning: audit
   * 'wi_config': key 'child.columns': <message>}
   */
  public String formatWarning() {
    return format("warning: ");
  }

  private String format(String prefix) {
    StringBuilder text = new StringBuilder(location.toString()).append(": ").append(prefix);
    if (auditId != null) {
      text.append("audit '").append(auditId).append("': ");
    }
    if (key != null) {
      text.append("key '").append(key).append("': ");
    }
    return text.append(message).toString();
  }
}
