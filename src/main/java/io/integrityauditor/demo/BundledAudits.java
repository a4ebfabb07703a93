package io.integrityauditor.demo;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The shipped audits/ files, which the build copies into the jar under bundled-audits/. */
public final class BundledAudits {
  private static final String FOLDER = "bundled-audits";

  private BundledAudits() {}

  /** Copies the bundled audit files into {@code directory}; returns the directory. */
  public static Path extractTo(Path directory) throws IOException {
    URL folder = BundledAudits.class.getClassLoader().getResource(FOLDER);
    if (folder == null) {
      throw new IOException("the jar contains no bundled audits");
    }
    Files.createDirectories(directory);
    try {
      URI uri = folder.toURI();
      if (uri.getScheme().equals("jar")) {
        try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
          copyYaml(jar.getPath(FOLDER), directory);
        }
      } else {
        copyYaml(Path.of(uri), directory);
      }
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    return directory;
  }

  private static void copyYaml(Path source, Path directory) throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(source)) {
      files = list.filter(p -> p.getFileName().toString().endsWith(".yaml")).toList();
    }
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        Files.copy(
            in,
            directory.resolve(file.getFileName().toString()),
            StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }
}
