-- A run whose node died is marked 'interrupted' and the recovering node records a new attempt
-- for the same scheduled fire time. At most one attempt per (audit, fire time) may be anything
-- but interrupted: a retried or recovered run can never be counted twice.
ALTER TABLE audit_run DROP CONSTRAINT audit_run_once_per_fire_time;
CREATE UNIQUE INDEX audit_run_once_per_fire_time
    ON audit_run (audit_id, scheduled_fire_time)
    WHERE status <> 'interrupted';

-- Runs by audit and final status, maintained in the transaction that finishes a run. Metrics
-- read these monotonic totals; pruning old runs (retention) never makes a counter go down.
CREATE TABLE audit_run_total (
    audit_id text   NOT NULL,
    status   text   NOT NULL,
    runs     bigint NOT NULL,
    PRIMARY KEY (audit_id, status)
);
