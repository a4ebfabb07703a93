package io.integrityauditor.suggest;

import io.integrityauditor.AuditorException;

/** {@code suggest} could not examine the target (lost connection): nothing is written. */
final class SuggestException extends AuditorException {
  SuggestException(String message, Throwable cause) {
    super(message, cause);
  }
}
