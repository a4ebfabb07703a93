-- Plausible, deterministic demo data with KNOWN integrity violations. Every injected violation
-- is marked "violation:" with its exact count; DemoDatabase.EXPECTED lists the same numbers and
-- the tests assert that each audit finds exactly them.

INSERT INTO workspaces (id, code, name) VALUES
    ('11111111-1111-4111-8111-111111111111', 'XLSMART-AVIAT', 'XL Smart / Aviat'),
    ('22222222-2222-4222-8222-222222222222', 'TEST-WS', 'Test workspace'),
    ('33333333-3333-4333-8333-333333333333', 'OPS-EAST', 'Operations East');

INSERT INTO users (id, email, status, workspace_id)
SELECT 'usr-' || lpad(i::text, 3, '0'), 'user' || i || '@example.com',
       CASE WHEN i % 10 = 0 THEN 'INACTIVE' ELSE 'ACTIVE' END,
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid
FROM generate_series(1, 60) i;

-- 8 versions per workspace: 1-5 ARCHIVED, 6 ACTIVE, 7-8 DRAFT.
INSERT INTO config_versions (id, workspace_id, version, status, source_file_name, created_by)
SELECT 'cv-' || w.n || '-' || v, w.id, v,
       CASE WHEN v <= 5 THEN 'ARCHIVED' WHEN v = 6 THEN 'ACTIVE' ELSE 'DRAFT' END,
       'master_v' || v || '.xlsx', 'usr-' || lpad((1 + (w.n * 7 + v) % 60)::text, 3, '0')
FROM (VALUES (1, '11111111-1111-4111-8111-111111111111'::uuid),
             (2, '22222222-2222-4222-8222-222222222222'::uuid),
             (3, '33333333-3333-4333-8333-333333333333'::uuid)) w(n, id),
     generate_series(1, 8) v;

-- 5,000 workflows, each frozen to an ACTIVE or ARCHIVED version of its own workspace.
INSERT INTO workflow_instances (id, workspace_id, config_version_id, site_id, status, created_by, assigned_to)
SELECT 'wi-' || lpad(i::text, 5, '0'),
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid,
       'cv-' || (1 + i % 3) || '-' || (2 + i % 5),
       'site-' || lpad((1 + i % 300)::text, 4, '0'),
       (ARRAY['RUNNING', 'COMPLETED', 'CANCELLED'])[1 + i % 3],
       CASE WHEN i % 125 = 0 THEN NULL ELSE 'usr-' || lpad((1 + i % 60)::text, 3, '0') END,
       'usr-' || lpad((1 + (i * 7) % 60)::text, 3, '0')
FROM generate_series(1, 5000) i;
-- violation: 7 workflows frozen to a config version that no longer exists
UPDATE workflow_instances SET config_version_id = 'cv-deleted-' || right(id, 2)
WHERE id IN ('wi-00011', 'wi-00512', 'wi-01023', 'wi-02047', 'wi-03001', 'wi-04095', 'wi-04999');
-- violation: 4 workflows frozen to a DRAFT version (freeze-by-reference broken)
UPDATE workflow_instances SET config_version_id = 'cv-1-7'
WHERE id IN ('wi-00100', 'wi-00200', 'wi-00300', 'wi-00400');
-- violation: 2 workflows in a workspace that does not exist
UPDATE workflow_instances SET workspace_id = '99999999-9999-4999-8999-999999999999'
WHERE id IN ('wi-01500', 'wi-03500');
-- violation: 3 workflows created by unknown users (the 40 NULL created_by are not violations)
UPDATE workflow_instances SET created_by = 'usr-ghost-' || right(id, 1)
WHERE id IN ('wi-00777', 'wi-02222', 'wi-04444');

-- 3 stages per workflow
INSERT INTO workflow_stages (id, workflow_instance_id, stage_no, stage_status, approver_id)
SELECT wi.id || '-s' || s, wi.id, s,
       CASE WHEN s = 1 THEN 'APPROVED' WHEN s = 2 THEN 'IN_REVIEW' ELSE 'PENDING' END,
       'usr-' || lpad((1 + (s * 13 + length(wi.id)) % 60)::text, 3, '0')
FROM workflow_instances wi, generate_series(1, 3) s;
-- violation: 5 stages of workflows that were deleted
INSERT INTO workflow_stages (id, workflow_instance_id, stage_no, stage_status)
SELECT 'wi-gone-' || g || '-s1', 'wi-gone-' || g, 1, 'PENDING' FROM generate_series(1, 5) g;

-- approvals of stages 1 and 2, keyed by (workflow_instance_id, stage_no)
INSERT INTO stage_approvals (workflow_instance_id, stage_no, approved_by, decision)
SELECT st.workflow_instance_id, st.stage_no, st.approver_id, 'APPROVED'
FROM workflow_stages st WHERE st.stage_no <= 2 AND st.workflow_instance_id LIKE 'wi-0%';
-- violation: 4 approvals of a stage that does not exist (stage 9 of existing workflows)
INSERT INTO stage_approvals (workflow_instance_id, stage_no, approved_by, decision)
VALUES ('wi-00001', 9, 'usr-001', 'APPROVED'), ('wi-00002', 9, 'usr-002', 'APPROVED'),
       ('wi-00003', 9, 'usr-003', 'REJECTED'), ('wi-00004', 9, 'usr-004', 'APPROVED');

-- master tables, 300 rows each, spread over workspaces and their ACTIVE/ARCHIVED versions
INSERT INTO regions (id, workspace_id, config_version_id, code, name, created_by)
SELECT 'reg-' || lpad(i::text, 4, '0'),
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid,
       'cv-' || (1 + i % 3) || '-6', 'R' || i, 'Region ' || i, 'usr-001'
FROM generate_series(1, 300) i;
INSERT INTO sites (id, workspace_id, config_version_id, region_id, code, name, created_by)
SELECT 'site-' || lpad(i::text, 4, '0'),
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid,
       'cv-' || (1 + i % 3) || '-6', 'reg-' || lpad((1 + i % 300)::text, 4, '0'),
       'S' || i, 'Site ' || i, 'usr-' || lpad((1 + i % 60)::text, 3, '0')
FROM generate_series(1, 300) i;
INSERT INTO vendors (id, workspace_id, config_version_id, code, name, created_by)
SELECT 'ven-' || lpad(i::text, 4, '0'),
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid,
       'cv-' || (1 + i % 3) || '-' || (5 + i % 2), 'V' || i, 'Vendor ' || i, 'usr-002'
FROM generate_series(1, 300) i;
INSERT INTO equipment_models (id, workspace_id, config_version_id, vendor_id, code, name, created_by)
SELECT 'eqm-' || lpad(i::text, 4, '0'),
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid,
       'cv-' || (1 + i % 3) || '-6', 'ven-' || lpad((1 + i % 300)::text, 4, '0'),
       'E' || i, 'Model ' || i, 'usr-003'
FROM generate_series(1, 300) i;
INSERT INTO link_plans (id, workspace_id, config_version_id, site_a_id, site_b_id, equipment_model_id, created_by)
SELECT 'lp-' || lpad(i::text, 4, '0'),
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid,
       'cv-' || (1 + i % 3) || '-6', 'site-' || lpad((1 + i % 300)::text, 4, '0'),
       'site-' || lpad((1 + (i + 1) % 300)::text, 4, '0'), 'eqm-' || lpad((1 + i % 300)::text, 4, '0'),
       'usr-004'
FROM generate_series(1, 300) i;
-- violation: 3 sites frozen to a missing config version
UPDATE sites SET config_version_id = 'cv-9-1' WHERE id IN ('site-0010', 'site-0020', 'site-0030');
-- violation: 2 equipment models frozen to a missing config version
UPDATE equipment_models SET config_version_id = 'cv-0-0' WHERE id IN ('eqm-0042', 'eqm-0043');
-- violation: 1 vendor frozen to a missing config version
UPDATE vendors SET config_version_id = 'cv-x' WHERE id = 'ven-0099';
-- violation: 1 region in a workspace that does not exist
UPDATE regions SET workspace_id = '99999999-9999-4999-8999-999999999999' WHERE id = 'reg-0123';
-- violation: 2 link plans to a site that does not exist (site_b_id)
UPDATE link_plans SET site_b_id = 'site-9999' WHERE id IN ('lp-0005', 'lp-0006');

-- provisioning
INSERT INTO provisioning.organizations (id, name)
SELECT 'org-' || i, 'Organization ' || i FROM generate_series(1, 4) i;
INSERT INTO provisioning.roles (id, organization_id, name, provisioning)
SELECT 'role-' || i, 'org-' || (1 + i % 4), 'Role ' || i,
       (ARRAY['full', 'read', 'none'])[1 + i % 3]
FROM generate_series(1, 12) i;
INSERT INTO provisioning.docks (id, organization_id, name, provider)
SELECT 'dock-' || lpad(i::text, 2, '0'), 'org-' || (1 + i % 4), 'Dock ' || i,
       (ARRAY['aws', 'cloudflare', 'gridpane'])[1 + i % 3]
FROM generate_series(1, 12) i;
INSERT INTO provisioning.servers (id, organization_id, dock_id, name, provisioning_source,
                                  sst_resource_id, sst_stack_name, provisioning_state, provisioned_at)
SELECT 'srv-' || lpad(i::text, 4, '0'), 'org-' || (1 + i % 4), 'dock-' || lpad((1 + i % 12)::text, 2, '0'),
       'server-' || i, (ARRAY['sst', 'api', 'manual'])[1 + i % 3],
       CASE WHEN i % 3 = 0 THEN 'srv-res-' || i END, CASE WHEN i % 3 = 0 THEN 'stack-' || (i % 7) END,
       (ARRAY['provisioned', 'provisioning', 'failed', 'deprovisioning'])[1 + i % 4], now()
FROM generate_series(1, 400) i;
INSERT INTO provisioning.web_services (id, organization_id, dock_id, name, provisioning_source,
                                       sst_resource_id, sst_stack_name, provisioning_state)
SELECT 'web-' || lpad(i::text, 4, '0'), 'org-' || (1 + i % 4), 'dock-' || lpad((1 + i % 12)::text, 2, '0'),
       'web-' || i, (ARRAY['sst', 'api', 'manual'])[1 + i % 3],
       CASE WHEN i % 3 = 0 THEN 'web-res-' || i END, CASE WHEN i % 3 = 0 THEN 'stack-' || (i % 7) END,
       'provisioned'
FROM generate_series(1, 300) i;
INSERT INTO provisioning.domains (id, organization_id, dock_id, name, provisioning_source, provisioning_state)
SELECT 'dom-' || lpad(i::text, 4, '0'), 'org-' || (1 + i % 4), 'dock-' || lpad((1 + i % 12)::text, 2, '0'),
       'site' || i || '.example.com', 'api', 'provisioned'
FROM generate_series(1, 250) i;
INSERT INTO provisioning.databases (id, organization_id, dock_id, name, provisioning_source, provisioning_state)
SELECT 'db-' || lpad(i::text, 4, '0'), 'org-' || (1 + i % 4), 'dock-' || lpad((1 + i % 12)::text, 2, '0'),
       'db' || i, 'manual', 'provisioned'
FROM generate_series(1, 200) i;
-- violation: 2 servers on a dock that does not exist; 3 domains; 1 database
UPDATE provisioning.servers SET dock_id = 'dock-99' WHERE id IN ('srv-0017', 'srv-0018');
UPDATE provisioning.domains SET dock_id = 'dock-gone' WHERE id IN ('dom-0001', 'dom-0100', 'dom-0200');
UPDATE provisioning.databases SET dock_id = 'dock-00' WHERE id = 'db-0150';
-- violation: 1 web service of an organization that does not exist
UPDATE provisioning.web_services SET organization_id = 'org-9' WHERE id = 'web-0250';
-- violation: 1 dock of an organization that does not exist
UPDATE provisioning.docks SET organization_id = 'org-0' WHERE id = 'dock-12';
-- servers without a dock are allowed (dock_id NULL is not an orphan): 5 of them
UPDATE provisioning.servers SET dock_id = NULL WHERE id IN ('srv-0101', 'srv-0102', 'srv-0103', 'srv-0104', 'srv-0105');

INSERT INTO provisioning.events (resource_type, resource_id, event)
SELECT (ARRAY['server', 'web_service', 'domain', 'database'])[1 + i % 4],
       CASE i % 4 WHEN 0 THEN 'srv-' || lpad((1 + i % 400)::text, 4, '0')
                  WHEN 1 THEN 'web-' || lpad((1 + i % 300)::text, 4, '0')
                  WHEN 2 THEN 'dom-' || lpad((1 + i % 250)::text, 4, '0')
                  ELSE 'db-' || lpad((1 + i % 200)::text, 4, '0') END,
       (ARRAY['created', 'updated', 'provisioned'])[1 + i % 3]
FROM generate_series(1, 2000) i;

ANALYZE;
