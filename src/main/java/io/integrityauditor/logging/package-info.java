/** Logback converters that mask secrets in every log line, whatever prints them. */
package io.integrityauditor.logging;
