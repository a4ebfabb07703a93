-- How a run's violating keys are fingerprinted (docs/audits.md, "Tracking every violating key"):
-- NULL or 'text' is PostgreSQL's hashtextextended of the key's text array (every run before V18);
-- 'integer:<column>' is the value of the audited table's one-column integer key itself (no hash,
-- no collisions). Two key sets compare only in the same scheme: a run whose audit's kept set was
-- fingerprinted otherwise computes the kept set's scheme for its key set and, in a run that reads
-- every row (full, chunked, an incremental audit's sweep), the new scheme beside it, so that the
-- kept set is translated key by key once (first-seen times and baseline flags carried over).
ALTER TABLE audit_run ADD COLUMN key_scheme text;
ALTER TABLE violation_key ADD COLUMN scheme text;

-- The translation of a run's key set from the scheme it was compared in (stored, as in
-- violation_key) to the new one, row by row: written by the statements of a run that changes its
-- audit's scheme, read and deleted in the transaction that finishes the run.
CREATE TABLE violation_key_translation (
    run_id      bigint   NOT NULL REFERENCES audit_run (id) ON DELETE CASCADE,
    part        text     NOT NULL,
    batch       integer  NOT NULL,
    scheme      text     NOT NULL,
    stored      bigint[] NOT NULL,
    translated  bigint[] NOT NULL,
    PRIMARY KEY (run_id, part, batch)
);
