package io.integrityauditor.config;

import java.nio.file.Path;

/** Where a value came from: a line of a file, or an environment variable. */
public record Location(String source, int line) {

  public static Location of(Path file, int line) {
    return new Location(displayPath(file), line);
  }

  public static Location environment(String variable) {
    return new Location("environment variable " + variable, 0);
  }

  /** Paths under the working directory are shown relative to it, like compilers do. */
  static String displayPath(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    Path cwd = Path.of("").toAbsolutePath();
    if (!absolute.startsWith(cwd)) {
      return absolute.toString();
    }
    // the working directory itself is ".", not an empty name
    String relative = cwd.relativize(absolute).toString();
    return relative.isEmpty() ? "." : relative;
  }

  @Override
  public String toString() {
    return line > 0 ? source + ":" + line : source;
  }
}
