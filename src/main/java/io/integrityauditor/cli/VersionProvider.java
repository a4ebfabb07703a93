package io.integrityauditor.cli;

import io.integrityauditor.Version;
import picocli.CommandLine.IVersionProvider;

/** picocli's {@code --version}: the build's version. */
public final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"integrity-auditor " + Version.current()};
  }
}
