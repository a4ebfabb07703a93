/**
 * The command line (picocli): {@code check}, {@code validate}, {@code demo} and the other
 * subcommands, their output formats and exit codes.
 */
package io.integrityauditor.cli;
