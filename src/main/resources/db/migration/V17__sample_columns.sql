-- The sample keys' column names in the audit's key order. A sample key is a jsonb object, and
-- jsonb keeps an object's keys in its own order (shorter names first), not the order written:
-- `runs`, `alerts`, the API and the pages showed a key of (zeta, alpha) as alpha, zeta.
-- NULL for runs recorded before, and for runs without samples.
ALTER TABLE audit_run ADD COLUMN sample_columns text[];
