package io.integrityauditor.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.integrityauditor.config.Redactor;

/** {@code %msg} with every known secret masked. */
public final class RedactingMessageConverter extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return Redactor.redact(super.convert(event));
  }
}
