package io.integrityauditor.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The fast "store is current" check must know the newest migration, or it would skip it. */
class StoreVersionTest {
  @Test
  void latest_version_is_the_newest_migration_file() throws IOException {
    Pattern file = Pattern.compile("V(\\d+)__.*\\.sql");
    int newest = 0;
    int count = 0;
    try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
      for (Path path : files.toList()) {
        Matcher matcher = file.matcher(path.getFileName().toString());
        if (matcher.matches()) {
          newest = Math.max(newest, Integer.parseInt(matcher.group(1)));
          count++;
        }
      }
    }
    assertThat(Store.LATEST_VERSION).isEqualTo(newest);
    assertThat(Store.MIGRATIONS).as("migrations shipped").isEqualTo(count);
  }
}
