/** JDBC connection pools for the store and the targets (HikariCP), configured in one place. */
package io.integrityauditor.db;
