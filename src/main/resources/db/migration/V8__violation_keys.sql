-- Every violating key of a run, as 64-bit fingerprints of the whole key computed by the audited
-- server (docs/audits.md, "Tracking every violating key"), so that a completed run knows exactly
-- how many of its violating rows are new, persist or are gone since the previous completed run.
-- Compact: one row per statement part holds up to 10,000 fingerprints in an array (8 bytes each,
-- no per-key row header). Only the latest completed run's key set of an audit is kept.
CREATE TABLE violation_key (
    run_id       bigint   NOT NULL REFERENCES audit_run (id) ON DELETE CASCADE,
    -- which statement wrote it ('all' for a full run, a chunk's range, an increment): a retried
    -- statement replaces its own part
    part         text     NOT NULL,
    batch        integer  NOT NULL,
    fingerprints bigint[] NOT NULL,
    -- rows each key stands for (unique: its group's size); NULL when every key is one row
    weights      bigint[],
    PRIMARY KEY (run_id, part, batch)
);

-- The split of a completed run's violating rows against the previous completed run; NULL when
-- unknown (first tracked run, no store, or more violations than the audit's key cap).
ALTER TABLE audit_run
    ADD COLUMN new_violations        bigint,
    ADD COLUMN persisting_violations bigint,
    ADD COLUMN gone_violations       bigint,
    -- 'exact', 'first' (no previous key set to compare with), 'over_cap', 'incomplete' (keys lost to a store failure), or NULL (not tracked)
    ADD COLUMN key_tracking          text;

ALTER TABLE audit_latest
    ADD COLUMN new_violations  bigint,
    ADD COLUMN gone_violations bigint;
