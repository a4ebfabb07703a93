package io.integrityauditor.catalog;

/**
 * A column of a table or view.
 *
 * @param name column name as stored in the catalog
 * @param position attribute number (1-based)
 * @param notNull declared NOT NULL
 * @param type the declared type
 */
public record ColumnInfo(String name, int position, boolean notNull, ColumnType type) {}
