-- The demo's second database: the billing service's own, split out of the monolith. Its rows
-- reference the workspaces and the provisioned servers that live in the apms database, and no
-- database can enforce a reference into another one: the cross-database audits of
-- audits/billing.yaml check them. Known violations are marked "violation:" with their exact count
-- (DemoDatabase.EXPECTED_VIOLATIONS lists the same numbers).
--
-- Loaded after apms-schema.sql, which creates the read-only audit role.

CREATE TABLE subscriptions (
    id           text PRIMARY KEY,
    workspace_id uuid NOT NULL,           -- apms.workspaces.id
    plan         text NOT NULL,
    status       text NOT NULL,           -- ACTIVE | CANCELLED
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE server_charges (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    server_id       text NOT NULL,        -- apms.provisioning.servers.id
    organization_id text NOT NULL,        -- must be the server's organization in apms
    month           date NOT NULL,
    amount          numeric(10, 2) NOT NULL,
    UNIQUE (server_id, month)
);

-- one subscription per workspace of apms
INSERT INTO subscriptions (id, workspace_id, plan, status) VALUES
    ('sub-1', '11111111-1111-4111-8111-111111111111', 'enterprise', 'ACTIVE'),
    ('sub-2', '22222222-2222-4222-8222-222222222222', 'trial', 'ACTIVE'),
    ('sub-3', '33333333-3333-4333-8333-333333333333', 'team', 'ACTIVE'),
    ('sub-4', '44444444-4444-4444-8444-444444444444', 'team', 'ACTIVE');
-- violation (subscriptions.workspace): 2 active subscriptions of workspaces apms does not have
INSERT INTO subscriptions (id, workspace_id, plan, status) VALUES
    ('sub-5', '55555555-5555-4555-8555-555555555555', 'team', 'ACTIVE'),
    ('sub-6', '66666666-6666-4666-8666-666666666666', 'enterprise', 'ACTIVE');
-- not a violation: a cancelled subscription of a deleted workspace (the audit's child filter)
INSERT INTO subscriptions (id, workspace_id, plan, status) VALUES
    ('sub-7', '77777777-7777-4777-8777-777777777777', 'trial', 'CANCELLED');

-- two months of charges for every server of apms, billed to the organization apms-data.sql gives
-- it ('org-' || (1 + i % 4))
INSERT INTO server_charges (server_id, organization_id, month, amount)
SELECT 'srv-' || lpad(i::text, 4, '0'), 'org-' || (1 + i % 4), m, 10 + i % 7
FROM generate_series(1, 400) i, (VALUES (date '2026-10-01'), (date '2026-11-01')) months(m);
-- violation (server_charges.server): 3 charges for servers apms does not have
INSERT INTO server_charges (server_id, organization_id, month, amount) VALUES
    ('srv-9001', 'org-1', '2026-11-01', 12), ('srv-9002', 'org-2', '2026-11-01', 12),
    ('srv-9003', 'org-3', '2026-11-01', 12);
-- violation (server_charges.organization): 5 charges billed to another organization than the
-- server's: 3 here, and both months of srv-0020, which apms-data.sql moved to org-77
UPDATE server_charges SET organization_id = 'org-1'
WHERE server_id IN ('srv-0001', 'srv-0002') AND month = '2026-11-01' OR
      server_id = 'srv-0003' AND month = '2026-10-01';

GRANT USAGE ON SCHEMA public TO integrity_auditor_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO integrity_auditor_ro;
