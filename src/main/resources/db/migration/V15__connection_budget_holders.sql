-- The processes holding places of a cluster-wide connection budget (store/ClusterBudget). A place is
-- a session advisory lock, gone when the store restarts while the connection it stands for is still
-- open; this table outlives the restart, so the other processes know whose places are still to be
-- taken back, and take no new place only until those processes are back (not a fixed 15 s).
CREATE TABLE connection_budget_holder (
  holder uuid PRIMARY KEY,
  registered_at timestamptz NOT NULL DEFAULT now()
);
