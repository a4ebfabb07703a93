/**
 * Executing one audit safely against its target: a short READ ONLY transaction with statement, lock
 * and idle timeouts, an application name DBAs can see, and errors classified by SQLSTATE. A failed
 * or timed-out audit is a result with that status, never "0 violations".
 */
package io.integrityauditor.run;
