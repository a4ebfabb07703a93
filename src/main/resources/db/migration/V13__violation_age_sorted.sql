-- The keys' first-seen times and baseline flags, kept sorted by fingerprint (docs/performance.md,
-- "Key tracking at a million violating rows"): when a run finishes, the worker merges the previous
-- set (read in order) with the run's sorted fingerprints in one streaming pass, which gives the
-- new/persisting/gone split, the carried first-seen times and the baseline flags at once, in
-- O(n) and without holding the keys in its heap. V10 grouped keys by first-seen time; comparing
-- and carrying over a million keys that way took two hash joins in the store (tens of seconds).
ALTER TABLE violation_age RENAME TO violation_age_v10;
ALTER TABLE violation_age_v10 RENAME CONSTRAINT violation_age_pkey TO violation_age_v10_pkey;

CREATE TABLE violation_age (
    audit_id     text      NOT NULL,
    -- the completed run whose key set this is (the latest of the audit that tracked its keys)
    run_id       bigint    NOT NULL,
    -- arrays in order: every fingerprint of row seq + 1 is greater than those of row seq
    seq          integer   NOT NULL,
    -- ascending, each key once
    fingerprints bigint[]  NOT NULL,
    -- rows each key stands for (unique: its group's size); NULL when every key is one row
    weights      bigint[],
    -- when each key was first seen violating, in microseconds since 1970-01-01 UTC
    first_seen   bigint[]  NOT NULL,
    -- whether each key is in the audit's baseline (accepted backlog)
    baseline     boolean[] NOT NULL,
    PRIMARY KEY (audit_id, run_id, seq)
);

-- the keys of V10, sorted into the new layout (first-seen times and baseline flags kept)
INSERT INTO violation_age (audit_id, run_id, seq, fingerprints, weights, first_seen, baseline)
SELECT audit_id, run_id, ((n - 1) / 10000)::integer, array_agg(fp ORDER BY fp), NULL,
       array_agg((extract(epoch FROM first_seen) * 1000000)::bigint ORDER BY fp),
       array_agg(baseline ORDER BY fp)
FROM (SELECT a.audit_id, a.run_id, u.fp, a.first_seen, a.baseline,
             row_number() OVER (PARTITION BY a.audit_id ORDER BY u.fp) AS n
      FROM violation_age_v10 a, unnest(a.fingerprints) AS u(fp)) AS keys
GROUP BY audit_id, run_id, (n - 1) / 10000;

DROP TABLE violation_age_v10;

-- V10 kept no weights with the ages: the gone rows of a weighted key set (kind unique) cannot be
-- counted against them, so such audits start afresh (their next run's split is 'first'; first-seen
-- times and baseline flags are kept)
DELETE FROM violation_key WHERE run_id IN (SELECT run_id FROM violation_key WHERE weights IS NOT NULL);
