-- A run's mode says which execution produced its figures, so it is known only once the run has
-- run: a skipped fire time (issue 19) and a run still going have none. Both were stored with the
-- column's default, 'full', and shown as full runs in `runs`, the API and the pages.
ALTER TABLE audit_run ALTER COLUMN mode DROP DEFAULT, ALTER COLUMN mode DROP NOT NULL;
UPDATE audit_run SET mode = NULL WHERE status IN ('skipped', 'running');
