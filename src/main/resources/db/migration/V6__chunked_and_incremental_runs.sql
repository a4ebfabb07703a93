-- Big tables (docs/performance.md): a run is 'full' (one statement), 'chunked' (key ranges of the
-- driving table, each statement in its own short transaction, on any node of the cluster) or
-- 'incremental' (only the rows past a watermark; the earlier rows' findings are carried forward
-- from the latest full sweep).
ALTER TABLE audit_run
    ADD CONSTRAINT audit_run_mode_known CHECK (mode IN ('full', 'chunked', 'incremental')),
    -- statements a chunked run took, and how many nodes ran them
    ADD COLUMN chunks integer,
    ADD COLUMN chunk_nodes integer,
    -- rows this run read: all rows checked, except for an incremental run (the new rows only)
    ADD COLUMN scanned_rows bigint,
    -- an incremental run checked the rows with watermark_from < column <= watermark_to
    ADD COLUMN watermark_from text,
    ADD COLUMN watermark_to text;

ALTER TABLE audit_latest
    ADD COLUMN last_mode text,
    -- the latest completed run that read every row (full or chunked): how old the carried-forward
    -- part of an incremental figure is
    ADD COLUMN last_full_success_at timestamptz;

-- A chunked run's plan: which audit and definition, so that idle peers can help. Open while the
-- run's chunks may be claimed.
CREATE TABLE audit_chunk_plan (
    run_id      bigint      PRIMARY KEY REFERENCES audit_run (id) ON DELETE CASCADE,
    audit_id    text        NOT NULL,
    -- a hash of the chunk statement: a node whose audit files say something else stays away
    fingerprint text        NOT NULL,
    key_column  text        NOT NULL,
    -- a full sweep of an incremental audit covers the rows up to its watermark only:
    -- upto_column <= upto_value OR upto_column IS NULL (NULL upto_column: every row)
    upto_column text,
    upto_value  text,
    target_ms   bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    open        boolean     NOT NULL DEFAULT true
);

CREATE INDEX audit_chunk_plan_open ON audit_chunk_plan (created_at) WHERE open;

-- The key ranges of a chunked run. A node claims consecutive pending ranges with FOR UPDATE SKIP
-- LOCKED and keeps them locked (in a store transaction) while their statement runs on the target:
-- if the node dies, its session ends and the ranges are pending again for a peer; a paused node
-- keeps them, so no range is ever counted twice. The statement's result is stored on its first
-- range (partial: counts and per-bucket sample keys, merged by the coordinator).
CREATE TABLE audit_chunk (
    run_id         bigint      NOT NULL REFERENCES audit_chunk_plan (run_id) ON DELETE CASCADE,
    ordinal        integer     NOT NULL,
    lower_bound    text,           -- inclusive, as text of the key's type; NULL: from the start
    upper_bound    text,           -- exclusive; NULL: to the end
    estimated_rows bigint      NOT NULL,
    state          text        NOT NULL DEFAULT 'pending',
    statement      integer,        -- the ordinal of the first range of the statement that ran it
    node_id        text,
    started_at     timestamptz,
    duration_ms    bigint,
    rows_checked   bigint,
    violations     bigint,
    partial        jsonb,
    error_class    text,
    error_message  text,
    PRIMARY KEY (run_id, ordinal),
    CONSTRAINT audit_chunk_state_known CHECK (state IN ('pending', 'done', 'failed'))
);

CREATE INDEX audit_chunk_pending ON audit_chunk (run_id, ordinal) WHERE state = 'pending';

-- Incremental audits: how far they have checked, and what the rows up to there hold.
CREATE TABLE audit_watermark (
    audit_id         text        PRIMARY KEY,
    -- a hash of the audit's definition: when it changes, the next run is a full sweep
    fingerprint      text        NOT NULL,
    column_name      text        NOT NULL,
    -- the highest value of the column checked so far, as text; NULL while the table is empty
    watermark        text,
    -- rows checked, violations and per-bucket sample keys of every row up to the watermark
    partial          jsonb       NOT NULL,
    last_full_run_id bigint,
    last_full_at     timestamptz NOT NULL,
    updated_run_id   bigint,
    updated_at       timestamptz NOT NULL
);
