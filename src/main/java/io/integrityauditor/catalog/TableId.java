package io.integrityauditor.catalog;

/** A table's exact schema and name, as stored in the catalog. */
public record TableId(String schema, String name) implements Comparable<TableId> {
  @Override
  public String toString() {
    return schema + "." + name;
  }

  @Override
  public int compareTo(TableId other) {
    int bySchema = schema.compareTo(other.schema);
    return bySchema != 0 ? bySchema : name.compareTo(other.name);
  }
}
