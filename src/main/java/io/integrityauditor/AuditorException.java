package io.integrityauditor;

/**
 * The one unchecked exception type of the worker. Subclasses say what went wrong; the message is
 * written for the user and tells them what to do next.
 */
public abstract class AuditorException extends RuntimeException {
  protected AuditorException(String message) {
    super(message);
  }

  protected AuditorException(String message, Throwable cause) {
    super(message, cause);
  }
}
