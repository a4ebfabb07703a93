-- How many attempts a run took: transient failures (a killed connection, a replica conflict) are
-- retried within the run, and on-call should see that they happened.
ALTER TABLE audit_run ADD COLUMN attempts integer NOT NULL DEFAULT 1;
