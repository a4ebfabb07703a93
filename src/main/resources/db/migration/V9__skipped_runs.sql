-- A scheduled fire time that came while the audit's previous run was still going is skipped, not
-- queued behind it: it is recorded as a run with status 'skipped' (no counts, the reason in
-- error_class, e.g. 'overrun'), so the run history shows every fire time and the unique index keeps
-- a skipped fire time from running later.
ALTER TABLE audit_run DROP CONSTRAINT audit_run_status_known;
ALTER TABLE audit_run ADD CONSTRAINT audit_run_status_known
    CHECK (status IN ('running', 'ok', 'violations', 'error', 'timeout', 'interrupted', 'skipped'));

-- Skipped fire times by audit and reason, maintained in the transaction that records them: the
-- counter integrity_audit_skipped_runs_total reads it, and pruning old runs never lowers it.
CREATE TABLE audit_skip_total (
    audit_id text   NOT NULL,
    reason   text   NOT NULL,
    skipped  bigint NOT NULL,
    PRIMARY KEY (audit_id, reason)
);
