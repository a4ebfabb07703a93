-- Plausible, deterministic demo data with KNOWN integrity violations. Every injected violation
-- is marked "violation:" with its exact count and the audit that finds it;
-- DemoDatabase.EXPECTED_VIOLATIONS lists the same numbers and the tests assert that each shipped
-- audit finds exactly them (and that every shipped audit finds at least one).

INSERT INTO workspaces (id, code, name) VALUES
    ('11111111-1111-4111-8111-111111111111', 'XLSMART-AVIAT', 'XL Smart / Aviat'),
    ('22222222-2222-4222-8222-222222222222', 'TEST-WS', 'Test workspace'),
    ('33333333-3333-4333-8333-333333333333', 'OPS-EAST', 'Operations East'),
    ('44444444-4444-4444-8444-444444444444', 'NEW-WS', 'New workspace');

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

-- violation (workspaces.active_config_version): 1 workspace without an ACTIVE version, NEW-WS
INSERT INTO config_versions (id, workspace_id, version, status, source_file_name, created_by)
VALUES ('cv-4-1', '44444444-4444-4444-8444-444444444444', 1, 'DRAFT', 'master_v1.xlsx', 'usr-001');
-- violation (config_versions.one_active_per_workspace): TEST-WS has 2 ACTIVE versions (2 rows)
UPDATE config_versions SET status = 'ACTIVE' WHERE id = 'cv-2-7';
-- violation (config_versions.status): 1 version in a status outside DRAFT/ACTIVE/ARCHIVED
UPDATE config_versions SET status = 'SUPERSEDED' WHERE id = 'cv-3-5';
-- violation (config_versions.created_by): 1 version created by a deleted user
UPDATE config_versions SET created_by = 'usr-deleted' WHERE id = 'cv-3-8';
-- violation (users.workspace): 1 user in a workspace that does not exist
UPDATE users SET workspace_id = '55555555-5555-4555-8555-555555555555' WHERE id = 'usr-059';

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
-- violation (workflow_instances.config_version, and the frozen_config_version audit):
-- 7 workflows frozen to a config version that no longer exists
UPDATE workflow_instances SET config_version_id = 'cv-deleted-' || right(id, 2)
WHERE id IN ('wi-00011', 'wi-00512', 'wi-01023', 'wi-02047', 'wi-03001', 'wi-04095', 'wi-04999');
-- violation (workflow_instances.frozen_config_version, 7 + 4 = 11): 4 workflows frozen to a DRAFT
-- version (freeze-by-reference broken); 3 of them (wi-00100, 00200, 00400) also belong to another
-- workspace than cv-1-7 (workflow_instances.workspace_isolation)
UPDATE workflow_instances SET config_version_id = 'cv-1-7'
WHERE id IN ('wi-00100', 'wi-00200', 'wi-00300', 'wi-00400');
-- violation (workflow_instances.workspace): 2 workflows in a workspace that does not exist, which
-- is also not their config version's (workflow_instances.workspace_isolation: 3 + 2 = 5)
UPDATE workflow_instances SET workspace_id = '99999999-9999-4999-8999-999999999999'
WHERE id IN ('wi-01500', 'wi-03500');
-- violation (workflow_instances.created_by): 3 workflows created by unknown users (the 40 NULL
-- created_by are not violations)
UPDATE workflow_instances SET created_by = 'usr-ghost-' || right(id, 1)
WHERE id IN ('wi-00777', 'wi-02222', 'wi-04444');
-- violation (workflow_instances.assigned_to): 1 workflow assigned to an unknown user
UPDATE workflow_instances SET assigned_to = 'usr-999' WHERE id = 'wi-00888';
-- violation (workflow_instances.status): 2 workflows in a status nobody handles
UPDATE workflow_instances SET status = 'PAUSED' WHERE id IN ('wi-00042', 'wi-00043');

-- 3 stages per workflow
INSERT INTO workflow_stages (id, workflow_instance_id, stage_no, stage_status, approver_id)
SELECT wi.id || '-s' || s, wi.id, s,
       CASE WHEN s = 1 THEN 'APPROVED' WHEN s = 2 THEN 'IN_REVIEW' ELSE 'PENDING' END,
       'usr-' || lpad((1 + (s * 13 + length(wi.id)) % 60)::text, 3, '0')
FROM workflow_instances wi, generate_series(1, 3) s;
-- violation (workflow_stages.workflow_instance): 5 stages of workflows that were deleted
INSERT INTO workflow_stages (id, workflow_instance_id, stage_no, stage_status)
SELECT 'wi-gone-' || g || '-s1', 'wi-gone-' || g, 1, 'PENDING' FROM generate_series(1, 5) g;
-- violation (workflow_stages.stage_status): 1 stage status in the wrong case
UPDATE workflow_stages SET stage_status = 'approved' WHERE id = 'wi-00010-s1';

-- approvals of stages 1 and 2, keyed by (workflow_instance_id, stage_no)
INSERT INTO stage_approvals (workflow_instance_id, stage_no, approved_by, decision)
SELECT st.workflow_instance_id, st.stage_no, st.approver_id, 'APPROVED'
FROM workflow_stages st WHERE st.stage_no <= 2 AND st.workflow_instance_id LIKE 'wi-0%';
-- violation (stage_approvals.stage): 4 approvals of a stage that does not exist (stage 9 of
-- existing workflows)
INSERT INTO stage_approvals (workflow_instance_id, stage_no, approved_by, decision)
VALUES ('wi-00001', 9, 'usr-001', 'APPROVED'), ('wi-00002', 9, 'usr-002', 'APPROVED'),
       ('wi-00003', 9, 'usr-003', 'REJECTED'), ('wi-00004', 9, 'usr-004', 'APPROVED');
-- violation (stage_approvals.approved_by): 1 approval by an unknown user
UPDATE stage_approvals SET approved_by = 'usr-ghost' WHERE workflow_instance_id = 'wi-00005' AND stage_no = 1;
-- violation (workflow_stages.approver): 2 stages whose approver was replaced by one who is not a
-- user (after their approvals were recorded)
UPDATE workflow_stages SET approver_id = 'usr-000' WHERE id IN ('wi-00020-s2', 'wi-00021-s2');

-- master tables, 300 rows each, spread over workspaces and their ACTIVE/ARCHIVED versions
INSERT INTO regions (id, workspace_id, config_version_id, code, name, created_by)
SELECT 'reg-' || lpad(i::text, 4, '0'),
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid,
       'cv-' || (1 + i % 3) || '-6', 'R' || i, 'Region ' || i,
       'usr-' || lpad((1 + (i * 7) % 60)::text, 3, '0')
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
       'cv-' || (1 + i % 3) || '-' || (5 + i % 2), 'V' || i, 'Vendor ' || i,
       'usr-' || lpad((1 + (i * 11) % 60)::text, 3, '0')
FROM generate_series(1, 300) i;
INSERT INTO equipment_models (id, workspace_id, config_version_id, vendor_id, code, name, created_by)
SELECT 'eqm-' || lpad(i::text, 4, '0'),
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid,
       'cv-' || (1 + i % 3) || '-6', 'ven-' || lpad((1 + i % 300)::text, 4, '0'),
       'E' || i, 'Model ' || i, 'usr-' || lpad((1 + (i * 13) % 60)::text, 3, '0')
FROM generate_series(1, 300) i;
INSERT INTO link_plans (id, workspace_id, config_version_id, site_a_id, site_b_id, equipment_model_id, created_by)
SELECT 'lp-' || lpad(i::text, 4, '0'),
       (ARRAY['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222',
              '33333333-3333-4333-8333-333333333333'])[1 + i % 3]::uuid,
       'cv-' || (1 + i % 3) || '-6', 'site-' || lpad((1 + i % 300)::text, 4, '0'),
       'site-' || lpad((1 + (i + 1) % 300)::text, 4, '0'), 'eqm-' || lpad((1 + i % 300)::text, 4, '0'),
       'usr-' || lpad((1 + (i * 17) % 60)::text, 3, '0')
FROM generate_series(1, 300) i;
-- violation (regions.config_version): 2 regions frozen to a missing config version
UPDATE regions SET config_version_id = 'cv-gone' WHERE id IN ('reg-0200', 'reg-0201');
-- violation (regions.workspace): 1 region in a workspace that does not exist
UPDATE regions SET workspace_id = '99999999-9999-4999-8999-999999999999' WHERE id = 'reg-0123';
-- violation (regions.created_by): 1 region created by an unknown user
UPDATE regions SET created_by = 'usr-gone' WHERE id = 'reg-0300';
-- violation (sites.config_version): 3 sites frozen to a missing config version
UPDATE sites SET config_version_id = 'cv-9-1' WHERE id IN ('site-0010', 'site-0020', 'site-0030');
-- violation (sites.workspace): 1 site in a workspace that does not exist, which is also not its
-- config version's workspace (sites.workspace_isolation)
UPDATE sites SET workspace_id = '99999999-9999-4999-8999-999999999999' WHERE id = 'site-0050';
-- violation (sites.workspace_isolation, 1 + 1 = 2): 1 site of TEST-WS frozen to XLSMART's version
UPDATE sites SET config_version_id = 'cv-1-6' WHERE id = 'site-0061';
-- violation (sites.created_by): 1 site created by an unknown user
UPDATE sites SET created_by = 'usr-000' WHERE id = 'site-0111';
-- violation (vendors.config_version): 1 vendor frozen to a missing config version
UPDATE vendors SET config_version_id = 'cv-x' WHERE id = 'ven-0099';
-- violation (vendors.workspace, 1 + the text-vs-uuid type mismatch = 2): 1 vendor with a legacy
-- workspace id
UPDATE vendors SET workspace_id = 'ws-legacy' WHERE id = 'ven-0007';
-- violation (vendors.created_by): 1 vendor created by an unknown user
UPDATE vendors SET created_by = 'usr-nobody' WHERE id = 'ven-0200';
-- violation (equipment_models.config_version): 2 models frozen to a missing config version
UPDATE equipment_models SET config_version_id = 'cv-0-0' WHERE id IN ('eqm-0042', 'eqm-0043');
-- violation (equipment_models.workspace): 1 model in a workspace that does not exist
UPDATE equipment_models SET workspace_id = '99999999-9999-4999-8999-999999999999' WHERE id = 'eqm-0100';
-- violation (equipment_models.created_by): 1 model created by an unknown user
UPDATE equipment_models SET created_by = 'nobody' WHERE id = 'eqm-0200';
-- violation (link_plans.config_version): 1 link plan frozen to a missing config version
UPDATE link_plans SET config_version_id = 'cv-2-99' WHERE id = 'lp-0100';
-- violation (link_plans.workspace): 1 link plan in a workspace that does not exist
UPDATE link_plans SET workspace_id = '99999999-9999-4999-8999-999999999999' WHERE id = 'lp-0200';
-- violation (link_plans.created_by): 1 link plan created by an unknown user
UPDATE link_plans SET created_by = 'x' WHERE id = 'lp-0250';
-- violation (link_plans.site_b): 2 link plans to a site that does not exist
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
-- violation (servers.dock 2, domains.dock 3, databases.dock 1): resources on a dock that does not
-- exist
UPDATE provisioning.servers SET dock_id = 'dock-99' WHERE id IN ('srv-0017', 'srv-0018');
UPDATE provisioning.domains SET dock_id = 'dock-gone' WHERE id IN ('dom-0001', 'dom-0100', 'dom-0200');
UPDATE provisioning.databases SET dock_id = 'dock-00' WHERE id = 'db-0150';
-- violation (web_services.dock): 1 web service on a dock that does not exist
UPDATE provisioning.web_services SET dock_id = 'dock-404' WHERE id = 'web-0020';
-- violation (servers/web_services/domains/databases.organization, 1 each): resources of an
-- organization that does not exist
UPDATE provisioning.servers SET organization_id = 'org-77' WHERE id = 'srv-0020';
UPDATE provisioning.web_services SET organization_id = 'org-9' WHERE id = 'web-0250';
UPDATE provisioning.domains SET organization_id = 'org-0' WHERE id = 'dom-0030';
UPDATE provisioning.databases SET organization_id = 'org-x' WHERE id = 'db-0040';
-- violation (docks.organization): 1 dock of an organization that does not exist
UPDATE provisioning.docks SET organization_id = 'org-0' WHERE id = 'dock-12';
-- violation (roles.organization): 1 role of an organization that does not exist
UPDATE provisioning.roles SET organization_id = 'org-55' WHERE id = 'role-7';
-- violation (roles.provisioning): 1 role with a provisioning permission outside full/read/none
UPDATE provisioning.roles SET provisioning = 'write' WHERE id = 'role-5';

-- violation (*.provisioning_source, 1 each): sources outside sst/api/manual
UPDATE provisioning.servers SET provisioning_source = 'terraform' WHERE id = 'srv-0010';
UPDATE provisioning.web_services SET provisioning_source = 'SST' WHERE id = 'web-0010';
UPDATE provisioning.domains SET provisioning_source = 'import' WHERE id = 'dom-0020';
UPDATE provisioning.databases SET provisioning_source = 'unknown' WHERE id = 'db-0030';
-- violation (*.provisioning_state, 1 each): states outside provisioning/provisioned/failed/
-- deprovisioning
UPDATE provisioning.servers SET provisioning_state = 'deleted' WHERE id = 'srv-0011';
UPDATE provisioning.web_services SET provisioning_state = 'PROVISIONED' WHERE id = 'web-0011';
UPDATE provisioning.domains SET provisioning_state = 'pending' WHERE id = 'dom-0021';
UPDATE provisioning.databases SET provisioning_state = 'error' WHERE id = 'db-0031';

-- SST-provisioned domains and databases (the generated ones are api/manual)
UPDATE provisioning.domains SET provisioning_source = 'sst', sst_resource_id = 'dom-res-' || right(id, 2),
    sst_stack_name = 'stack-1' WHERE id = 'dom-0010';
UPDATE provisioning.databases SET provisioning_source = 'sst', sst_resource_id = 'db-res-20',
    sst_stack_name = 'stack-2' WHERE id = 'db-0020';
-- violation (*.sst_unique, 2 rows each): two resources claim the same SST resource
UPDATE provisioning.servers SET provisioning_source = 'sst', sst_resource_id = 'srv-res-3',
    sst_stack_name = 'stack-3' WHERE id = 'srv-0004';
UPDATE provisioning.web_services SET sst_resource_id = 'web-res-6', sst_stack_name = 'stack-6'
WHERE id = 'web-0009';
UPDATE provisioning.domains SET provisioning_source = 'sst', sst_resource_id = 'dom-res-10',
    sst_stack_name = 'stack-1' WHERE id = 'dom-0011';
UPDATE provisioning.databases SET provisioning_source = 'sst', sst_resource_id = 'db-res-20',
    sst_stack_name = 'stack-2' WHERE id = 'db-0021';
-- violation (servers.sst_ids 2, web_services/domains/databases.sst_ids 1 each): SST resources
-- without their SST resource id or stack name
UPDATE provisioning.servers SET sst_stack_name = NULL WHERE id = 'srv-0006';
UPDATE provisioning.servers SET sst_resource_id = NULL WHERE id = 'srv-0009';
UPDATE provisioning.web_services SET sst_resource_id = NULL, sst_stack_name = NULL WHERE id = 'web-0012';
UPDATE provisioning.domains SET provisioning_source = 'sst', sst_resource_id = 'dom-res-12'
WHERE id = 'dom-0012';
UPDATE provisioning.databases SET provisioning_source = 'sst' WHERE id = 'db-0022';
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
-- violation (events.resource): 3 events about resources that do not exist (one names a web service
-- as a database) and 1 of a resource type nobody declared
INSERT INTO provisioning.events (resource_type, resource_id, event) VALUES
    ('server', 'srv-9999', 'deleted'), ('domain', 'dom-0000', 'created'),
    ('database', 'web-0001', 'updated'), ('dns_record', 'rec-1', 'created');

ANALYZE;
