-- The team that owns an audit (its `owner` key), copied into every alert record when the alert is
-- opened or seen again, so the record says whom it was routed to even after the audit file
-- changed. NULL: the audit names no owner.
ALTER TABLE alert ADD COLUMN owner text;
