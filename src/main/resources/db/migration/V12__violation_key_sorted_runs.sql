-- The worker sorts a run's fingerprints as they stream from the scan, in bounded runs (KeySets),
-- so that the store does not sort a million keys when the run finishes: the merge reads the few
-- sorted runs side by side (KeyAges). The arrays of one (run_id, part, sorted_run), in batch
-- order, hold ascending fingerprints. NULL: an array written before this migration, in the order
-- the scan found its keys; a key set with any such array is sorted by the store as before.
ALTER TABLE violation_key ADD COLUMN sorted_run integer;
