package io.integrityauditor.suggest;

/**
 * A possible reference found by name: the child's columns, the parent key they may point at, and
 * how strongly the names agree.
 *
 * @param schemaDistance 0 same schema, 1 a schema of the search path, 2 any other schema
 * @param affinity words the parent's name shares with the child table's name
 * @param rank order among person tables (0 the row's own table, then users, accounts, ...)
 */
record Candidate(Side child, Side parent, Tier tier, int schemaDistance, int affinity, int rank) {

  /** Every column pair can be compared natively (int with bigint, varchar with text...). */
  boolean comparable() {
    for (int i = 0; i < child.columns().size(); i++) {
      if (!child.columns().get(i).type().comparableWith(parent.columns().get(i).type())) {
        return false;
      }
    }
    return true;
  }

  /** Every column pair has the identical base type, as a foreign key would want. */
  boolean sameTypes() {
    for (int i = 0; i < child.columns().size(); i++) {
      if (!child.columns().get(i).type().sameAs(parent.columns().get(i).type())) {
        return false;
      }
    }
    return true;
  }

  String describe() {
    return child.describe() + " -> " + parent.describe();
  }
}
