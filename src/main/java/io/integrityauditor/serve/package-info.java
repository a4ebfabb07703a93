/**
 * A running {@code serve} node: the {@code Worker} that owns the scheduler, the HTTP server and
 * metrics of one process, and implements the node operations the HTTP API calls.
 */
package io.integrityauditor.serve;
