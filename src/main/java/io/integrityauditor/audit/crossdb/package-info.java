/**
 * References across databases: the sorted merge of a child's and a parent's key streams, read from
 * two targets each in one READ ONLY transaction, with a re-check of the candidate orphans against
 * the parent in a fresh snapshot (docs/audits.md, "References across databases").
 */
package io.integrityauditor.audit.crossdb;
