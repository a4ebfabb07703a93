-- The latest result of every audit, maintained in the transaction that finishes a run. Metrics
-- read this one small table (one row per audit) instead of scanning the run history, so a scrape
-- costs the same with 10 or 10 million runs, and every node of a cluster exports the same values.
CREATE TABLE audit_latest (
    audit_id             text        PRIMARY KEY,
    target               text        NOT NULL,
    kind                 text        NOT NULL,
    severity             text        NOT NULL,
    last_run_id          bigint      NOT NULL,
    last_status          text        NOT NULL,
    last_finished_at     timestamptz NOT NULL,
    last_duration_ms     bigint,
    -- from the latest run that completed (ok or violations); NULL until one has
    last_success_run_id  bigint,
    last_success_at      timestamptz,
    violations           bigint,
    rows_checked         bigint,
    threshold_breached   boolean,
    -- runs that did not complete since the latest one that did
    consecutive_failures integer     NOT NULL DEFAULT 0
);

CREATE INDEX alert_open ON alert (severity) WHERE state = 'open';
