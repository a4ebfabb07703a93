package io.integrityauditor.schedule;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;

/**
 * A node's clock moved onto the store's: the node's time plus the offset its job store measured at
 * its latest check-in ({@link StoreClock}); the node's own time until the first measurement. What a
 * {@code serve} node records (run history, skips, alert records) and what it compares those records
 * with (ages on the pages) are read from it, so that a node with a wrong clock can neither reorder
 * the history it shares with its peers nor make alert ages wrong. The offset is looked up at each
 * reading, by node id: a node restarted in the same process finds its new measurement.
 */
public final class StoreTime extends Clock {
  private final Clock node;
  private final String instanceId;

  private StoreTime(Clock node, String instanceId) {
    this.node = node;
    this.instanceId = instanceId;
  }

  /**
   * @param node the node's own clock
   * @param instanceId the node's id in the cluster ({@code node_id}, Quartz's instance id)
   */
  public static Clock of(Clock node, String instanceId) {
    return new StoreTime(node, instanceId);
  }

  @Override
  public Instant instant() {
    // nodeAheadMillis is empty before the first measurement: the node's own time until then
    return node.instant().minusMillis(StoreClock.nodeAheadMillis(instanceId).orElse(0));
  }

  @Override
  public ZoneId getZone() {
    return node.getZone();
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new StoreTime(node.withZone(zone), instanceId);
  }

  @Override
  public String toString() {
    return "StoreTime[" + node + ", node " + instanceId + "]";
  }
}
