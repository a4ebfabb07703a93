package io.integrityauditor.schedule;

import java.util.TimeZone;
import org.quartz.impl.jdbcjobstore.SimplePropertiesTriggerPersistenceDelegateSupport;
import org.quartz.impl.jdbcjobstore.SimplePropertiesTriggerProperties;
import org.quartz.impl.jdbcjobstore.TriggerPersistenceDelegate;
import org.quartz.spi.OperableTrigger;

/**
 * Stores a {@link SpreadCronTrigger} in Quartz's simple-properties trigger table: the cron
 * expression, its time zone and the spread, under the trigger type {@value #TYPE}. Registered by
 * {@link StoreClockDelegate}.
 */
final class SpreadCronTriggerPersistence extends SimplePropertiesTriggerPersistenceDelegateSupport {
  /** The {@code trigger_type} of these triggers in {@code qrtz_triggers}. */
  static final String TYPE = "SPREAD";

  @Override
  public boolean canHandleTriggerType(OperableTrigger trigger) {
    return trigger instanceof SpreadCronTrigger;
  }

  @Override
  public String getHandledTriggerTypeDiscriminator() {
    return TYPE;
  }

  @Override
  protected SimplePropertiesTriggerProperties getTriggerProperties(OperableTrigger trigger) {
    return properties((SpreadCronTrigger) trigger);
  }

  /** The columns of a trigger, also for {@link QuartzBulkInsert}. */
  static SimplePropertiesTriggerProperties properties(SpreadCronTrigger trigger) {
    SimplePropertiesTriggerProperties properties = new SimplePropertiesTriggerProperties();
    properties.setString1(trigger.getCronExpression());
    properties.setString2(trigger.getTimeZone().getID());
    properties.setLong1(trigger.spread());
    return properties;
  }

  @Override
  protected TriggerPersistenceDelegate.TriggerPropertyBundle getTriggerPropertyBundle(
      SimplePropertiesTriggerProperties properties) {
    return new TriggerPersistenceDelegate.TriggerPropertyBundle(
        SpreadCronTrigger.schedule(
            properties.getString1(),
            TimeZone.getTimeZone(properties.getString2()),
            properties.getLong1()),
        null,
        null);
  }
}
