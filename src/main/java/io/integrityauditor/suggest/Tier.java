package io.integrityauditor.suggest;

/** How a candidate parent was found by name, strongest first. */
enum Tier {
  /** The column names the table: {@code customer_id} -> {@code customers}. */
  TABLE_NAME("names the table"),
  /**
   * The column has the name of the single-column primary key several tables share (a supertype and
   * its subtypes), and the child's own name starts or ends with one of them: {@code
   * personphone.businessentityid} -> {@code person}, not the root {@code businessentity}.
   */
  SUBTYPE("the subtype sharing the key that the child's name starts or ends with"),
  /** The column names the table after a role prefix: {@code billing_address_id}. */
  ROLE_PREFIX("names the table after a role prefix"),
  /** The column names the table before a qualifier: {@code site_a_id}, {@code address2_id}. */
  QUALIFIED("names the table before a qualifier"),
  /**
   * A bare qualifier names the table the row's own table is named after: {@code
   * artist_gid_redirect.new_id} -> {@code artist}.
   */
  OWNER_PREFIX("a qualifier of the table its own name starts with"),
  /**
   * One of several numbered columns of a table named after the tables it links, in the order the
   * name lists them: {@code l_area_artist.entity0} -> {@code area}, {@code entity1} -> {@code
   * artist}.
   */
  NUMBERED_MEMBER("the table at its number in its own table's name"),
  /**
   * A column {@code A} or {@code B} of a many-to-many table named after the two tables it links:
   * Prisma's implicit {@code _CategoryToPost("A", "B")}, {@code A} -> {@code Category}, {@code B}
   * -> {@code Post}.
   */
  LETTERED_MEMBER("the table at its letter in its own table's name (A the first, B the second)"),
  /**
   * Two reference columns together hold the whole primary key of an association table named after
   * the tables they point at: {@code boarding_passes(ticket_no, flight_id)} -> {@code
   * ticket_flights(ticket_no, flight_id)}.
   */
  COMPOSITE_KEY("the columns hold an association table's whole primary key"),
  /**
   * The child carries the table's whole composite primary key by the same column names: {@code
   * activity_info_maps(shard_id, namespace_id, workflow_id, run_id)} -> {@code executions}.
   */
  CARRIED_KEY("carries the table's whole composite primary key by name"),
  /**
   * Columns prefixed with their table's abbreviation name another prefixed table's key: {@code
   * useracct.u_r_id} -> {@code region.r_id}, {@code item_attribute(ia_i_id, ia_u_id)} -> {@code
   * item(i_id, i_u_id)}.
   */
  PREFIXED_KEY("the child's column prefix followed by the parent's key column names"),
  /** The table's name ends with what the column names: {@code user_id} -> {@code auth_user}. */
  TABLE_SUFFIX("names the end of the table's name"),
  /**
   * After a role prefix, the column names the end of a table's name: {@code root_page_id} -> {@code
   * wagtailcore_page}, {@code uploaded_by_user_id} -> {@code auth_user}.
   */
  ROLE_PREFIX_SUFFIX("names the end of the table's name after a role prefix"),
  /**
   * The column names the start of the table's name, which ends in one more word: {@code gpx_id} ->
   * {@code gpx_files} (an abbreviated name).
   */
  TABLE_PREFIX("names the start of the table's name"),
  /** The column names the doer of an action: {@code ship_via} -> {@code shippers}. */
  AGENT("names the doer of the action"),
  /**
   * A row's parent is a group of its kind, the table named like its own plus "group": {@code
   * guacamole_connection.parent_id} -> {@code guacamole_connection_group} (whose own {@code
   * parent_id} is a self-reference).
   */
  GROUP("the parent is the group of its kind"),
  /** The column points at its own table: {@code parent_id}. */
  SELF("self-reference role"),
  /** The column names a person in a role: {@code created_by}, {@code author_id}. */
  PERSON("person role"),
  /**
   * The column is named like a table, without a key word: {@code client} -> {@code client.id},
   * {@code begin_area} -> {@code area.id}, {@code area.type} -> {@code area_type.id}. A table named
   * exactly like the column wins over a side table that merely has a unique column of that name.
   */
  BARE_NAME("names the table without a key word"),
  /**
   * The table's own key is the key of the table it extends row for row: {@code artist_meta.id} ->
   * {@code artist.id}.
   */
  EXTENSION("shares the key of the table it extends"),
  /** The column has the name of another table's unique column: {@code sku}. */
  SAME_KEY("same name as a unique column"),
  /**
   * A polymorphic reference's type column names the table on each row: {@code record_type = 'Post'}
   * -> {@code posts}.
   */
  POLYMORPHIC("the type column names the table");

  private final String label;

  Tier(String label) {
    this.label = label;
  }

  String label() {
    return label;
  }
}
