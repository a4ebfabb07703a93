-- When each open violating key was first seen, and whether it is in the audit's baseline (accepted
-- backlog), for the latest completed run of each audit that tracked its keys (docs/audits.md,
-- "Age of open violations" and "Baselines"). Rewritten in the store's SQL when a run finishes:
-- a key keeps its first_seen and baseline flag while it stays violating; a key that is fixed
-- drops out, so when it breaks again it is new (first_seen = that run, not in the baseline).
-- Compact like violation_key: keys of the same first_seen and flag share arrays of fingerprints,
-- bucketed by the fingerprint's top bits (no sort needed to build them).
CREATE TABLE violation_age (
    audit_id     text        NOT NULL,
    -- the run whose key set this is: the rows of the previous run are deleted once it is written
    run_id       bigint      NOT NULL,
    first_seen   timestamptz NOT NULL,
    baseline     boolean     NOT NULL,
    bucket       integer     NOT NULL,
    fingerprints bigint[]    NOT NULL,
    PRIMARY KEY (audit_id, run_id, first_seen, baseline, bucket)
);

-- Who accepted an audit's violating keys as known backlog, when, and why. The keys themselves are
-- the rows of violation_age flagged baseline; this row stays until `baseline --clear`.
CREATE TABLE audit_baseline (
    audit_id      text        PRIMARY KEY,
    accepted_by   text        NOT NULL,
    accepted_at   timestamptz NOT NULL,
    note          text        NOT NULL,
    -- violating rows accepted (the baseline then shrinks as they are fixed: see audit_run)
    accepted_rows bigint      NOT NULL
);

-- Per completed run that tracked its keys: how many of its violating rows are in the baseline,
-- and since when its oldest violating row has been violating. NULL when not known (keys not
-- tracked, over track_keys, store failure while writing keys).
ALTER TABLE audit_run
    ADD COLUMN baseline_violations    bigint,
    ADD COLUMN oldest_violation_since timestamptz;

ALTER TABLE audit_latest
    ADD COLUMN baseline_violations    bigint,
    ADD COLUMN oldest_violation_since timestamptz,
    -- how long the oldest violating row had been violating when the latest completed run started
    -- (0 with no violation; NULL when not known)
    ADD COLUMN oldest_violation_age_seconds double precision,
    -- violating rows at least 1 hour, 1 day, 7 days and 30 days old at the latest completed run
    ADD COLUMN violations_older_than  bigint[];
