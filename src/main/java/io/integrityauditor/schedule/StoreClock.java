package io.integrityauditor.schedule;

import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One node's reading of the store's clock: the store's clock minus the node's, as last measured by
 * its job store ({@link StoreClockJobStore}, at start and at every check-in). Every moment the
 * scheduler compares with a fire time is read here, so that fire times, which every node shares
 * through the store, are judged on one clock: with each node's own, a node 2 s ahead called a fire
 * time misfired after 3 s instead of 5 (2,277 misfire skips in a soak, against 702 for the node 2 s
 * behind), and a node 30 s behind ran fire times 30 s late as if on time.
 *
 * <p>By node (Quartz instance id), because Quartz instantiates its job store by name: the job and
 * the scheduler find their node's clock through the instance id they know.
 */
final class StoreClock {
  private static final Map<String, StoreClock> NODES = new ConcurrentHashMap<>();

  private volatile long storeAheadMillis;

  private volatile boolean measured;

  private StoreClock() {}

  /** The clock of the node {@code instanceId}, created unmeasured (no offset) if new. */
  static StoreClock of(String instanceId) {
    return NODES.computeIfAbsent(instanceId, id -> new StoreClock());
  }

  /**
   * How far the node's clock is ahead of the store's (negative: behind), in milliseconds, as last
   * measured; empty before the first measurement or when its job store does not run here.
   */
  static OptionalLong nodeAheadMillis(String instanceId) {
    StoreClock clock = NODES.get(instanceId);
    return clock == null || !clock.measured
        ? OptionalLong.empty()
        : OptionalLong.of(-clock.storeAheadMillis);
  }

  /** Forgets a stopped node. */
  static void forget(String instanceId) {
    NODES.remove(instanceId);
  }

  /** The store's clock minus this node's, in milliseconds: positive when this node is behind. */
  long storeAheadMillis() {
    return storeAheadMillis;
  }

  void measured(long storeAheadMillis) {
    this.storeAheadMillis = storeAheadMillis;
    this.measured = true;
  }

  /** The store's clock now, in epoch milliseconds. */
  long millis() {
    return System.currentTimeMillis() + storeAheadMillis;
  }

  /** The store's clock now. */
  Instant now() {
    return Instant.ofEpochMilli(millis());
  }

  /** The moment on this node's clock that is {@code storeMillis} on the store's. */
  long toLocal(long storeMillis) {
    return storeMillis - storeAheadMillis;
  }
}
