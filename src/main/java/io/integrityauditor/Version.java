package io.integrityauditor;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The build's version, from build-info.properties (filtered by Maven). */
public final class Version {
  private Version() {}

  public static String current() {
    Properties properties = new Properties();
    try (InputStream in = Version.class.getResourceAsStream("/build-info.properties")) {
      if (in != null) {
        properties.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    return properties.getProperty("version", "unknown");
  }
}
