package io.integrityauditor.store;

/**
 * Every class of the two-key advisory locks ({@code pg_advisory_lock(class, key)}) that the nodes
 * take in the store, in one place: two features that picked the same class would wait for, or be
 * counted as, each other's locks. The one-key locks of {@link Store.OneNodeAtATime} live in the
 * other key space of PostgreSQL's advisory locks ({@code objsubid} 1, these are 2), so they cannot
 * collide with these.
 */
public final class LockClasses {
  /** An audit's run lease: {@code (AUDIT_LEASE, hashtext(audit id))}. */
  static final int AUDIT_LEASE = 0x1A7E_0001;

  /** One of a target's concurrent-run places: {@code (TARGET_SLOT, hashtext(target#i))}. */
  static final int TARGET_SLOT = 0x1A7E_0002;

  /** A node's liveness: {@code (NODE_SESSION, hashtext(instance id))}. */
  public static final int NODE_SESSION = 0x1A7E_0003;

  /** A place of a server's connection budget: {@code (BUDGET_PLACE, hashtext(server#i))}. */
  static final int BUDGET_PLACE = 0x1A7E_0004;

  /** The queue for a server's budget places, granted in arrival order. */
  static final int BUDGET_QUEUE = 0x1A7E_0005;

  /** A process whose budget places are taken again after a store restart. */
  static final int BUDGET_HOLDER = 0x1A7E_0006;

  private LockClasses() {}
}
