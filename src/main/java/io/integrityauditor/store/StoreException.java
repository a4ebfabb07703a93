package io.integrityauditor.store;

import io.integrityauditor.AuditorException;
import io.integrityauditor.config.Redactor;

/** The store could not be read or written. */
public final class StoreException extends AuditorException {
  public StoreException(String message, Throwable cause) {
    super(Redactor.redact(message), cause);
  }
}
