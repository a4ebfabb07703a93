-- The worker's own schema ("the store"). Flyway runs this inside schema integrity_auditor.
-- Nothing here is ever created in an audited database.

-- One row per audit run. A scheduled run is keyed by its scheduled fire time, so a retried or
-- recovered execution of the same fire time cannot add a second row (idempotency).
CREATE TABLE audit_run (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    audit_id            text        NOT NULL,
    target              text        NOT NULL,
    kind                text        NOT NULL,
    severity            text        NOT NULL,
    trigger_type        text        NOT NULL,
    scheduled_fire_time timestamptz NOT NULL,
    started_at          timestamptz NOT NULL,
    finished_at         timestamptz,
    status              text        NOT NULL,
    violations          bigint,
    rows_checked        bigint,
    threshold_breached  boolean,
    duration_ms         bigint,
    mode                text        NOT NULL DEFAULT 'full',
    error_class         text,
    error_message       text,
    node_id             text        NOT NULL,
    CONSTRAINT audit_run_once_per_fire_time UNIQUE (audit_id, scheduled_fire_time),
    CONSTRAINT audit_run_status_known
        CHECK (status IN ('running', 'ok', 'violations', 'error', 'timeout', 'interrupted')),
    CONSTRAINT audit_run_trigger_known CHECK (trigger_type IN ('schedule', 'manual', 'check')),
    CONSTRAINT audit_run_finished_when_done CHECK ((status = 'running') = (finished_at IS NULL)),
    -- A run that did not complete never carries counts: it must not look like "0 violations".
    CONSTRAINT audit_run_counts_only_when_complete
        CHECK ((status IN ('ok', 'violations')) = (violations IS NOT NULL AND rows_checked IS NOT NULL))
);

CREATE INDEX audit_run_latest_per_audit ON audit_run (audit_id, finished_at DESC);
CREATE INDEX audit_run_running ON audit_run (node_id) WHERE status = 'running';

-- Sample keys of violating rows, one JSON object per row ({"column": "value", ...}).
CREATE TABLE audit_run_sample (
    run_id     bigint  NOT NULL REFERENCES audit_run (id) ON DELETE CASCADE,
    ordinal    integer NOT NULL,
    sample_key jsonb   NOT NULL,
    PRIMARY KEY (run_id, ordinal)
);

-- Alert records: opened when a run crosses the audit's threshold, updated by later runs,
-- resolved when a run falls back under it. At most one open alert per audit.
CREATE TABLE alert (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    audit_id           text        NOT NULL,
    target             text        NOT NULL,
    severity           text        NOT NULL,
    state              text        NOT NULL,
    opened_at          timestamptz NOT NULL,
    opened_run_id      bigint      REFERENCES audit_run (id) ON DELETE SET NULL,
    last_seen_at       timestamptz NOT NULL,
    last_run_id        bigint      REFERENCES audit_run (id) ON DELETE SET NULL,
    resolved_at        timestamptz,
    resolved_run_id    bigint      REFERENCES audit_run (id) ON DELETE SET NULL,
    current_violations bigint      NOT NULL,
    max_violations     bigint      NOT NULL,
    rows_checked       bigint,
    acked_by           text,
    acked_at           timestamptz,
    ack_note           text,
    CONSTRAINT alert_state_known CHECK (state IN ('open', 'resolved')),
    CONSTRAINT alert_resolved_has_time CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
    CONSTRAINT alert_ack_complete CHECK ((acked_by IS NULL) = (acked_at IS NULL))
);

CREATE UNIQUE INDEX alert_one_open_per_audit ON alert (audit_id) WHERE state = 'open';
CREATE INDEX alert_by_audit ON alert (audit_id, opened_at DESC);

-- The sample keys an alert has seen: first and last run that reported each key, so on-call can
-- tell new violations from persisting ones.
CREATE TABLE alert_sample (
    alert_id          bigint NOT NULL REFERENCES alert (id) ON DELETE CASCADE,
    sample_key        jsonb  NOT NULL,
    first_seen_run_id bigint NOT NULL,
    last_seen_run_id  bigint NOT NULL,
    PRIMARY KEY (alert_id, sample_key)
);
