-- The run an acknowledgement was taken on (the alert's last run then): an acknowledgement covers
-- what the alert showed at that run, and rows that broke in later runs are shown as not
-- acknowledged (newuser24: an ack for one row outside the baseline read as covering a second row
-- that broke after it). NULL for acknowledgements recorded before.
ALTER TABLE alert ADD COLUMN acked_run_id bigint;
