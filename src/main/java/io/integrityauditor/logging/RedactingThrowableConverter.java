package io.integrityauditor.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.integrityauditor.config.Redactor;

/** {@code %ex} with every known secret masked (exception messages can quote URLs). */
public final class RedactingThrowableConverter extends ThrowableProxyConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return Redactor.redact(super.convert(event));
  }
}
