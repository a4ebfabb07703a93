package io.integrityauditor.cli;

import io.integrityauditor.AuditorException;

/**
 * A command-line argument that names something that does not exist at run time (an alert id, an
 * audit not scheduled in the cluster): the configuration is fine, so it is not reported as
 * configuration problems, but the exit code is the contract's "arguments are wrong" (2).
 */
final class UsageException extends AuditorException {
  UsageException(String message) {
    super(message);
  }
}
