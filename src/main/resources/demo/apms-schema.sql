-- The demo application database, modelled on the staging deployment in the seed documents:
-- the APMS master and workflow tables (public schema) and the provisioning "universal" tables
-- (provisioning schema). Like staging, it declares exactly ONE foreign key
-- (config_versions.workspace_id -> workspaces.id); every other reference is unenforced, which is
-- what integrity-auditor compensates for.
--
-- The schema also has the flaws the shipped schema audits look for: only 3 CHECK constraints
-- (staging expected 21+), no partial unique index enforcing one ACTIVE config version per
-- workspace, vendors.workspace_id created as text although workspaces.id is uuid (the seeds'
-- "UUID vs TEXT contradiction"), and the provisioning indexes forgotten on one table.

CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE workspaces (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code       text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id           text PRIMARY KEY,
    email        text NOT NULL UNIQUE,
    status       text NOT NULL,
    workspace_id uuid,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE config_versions (
    id               text PRIMARY KEY,
    workspace_id     uuid NOT NULL REFERENCES workspaces (id),   -- the one real FK
    version          integer NOT NULL CHECK (version > 0),
    status           text NOT NULL,
    source_file_name text,
    created_by       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, version)
    -- missing on purpose: CREATE UNIQUE INDEX config_versions_one_active_per_workspace
    --   ON config_versions (workspace_id) WHERE status = 'ACTIVE';
);

CREATE TABLE workflow_instances (
    id                text PRIMARY KEY,
    workspace_id      uuid NOT NULL,
    config_version_id text NOT NULL,
    site_id           text,
    status            text NOT NULL,
    created_by        text,
    assigned_to       text,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workflow_stages (
    id                   text PRIMARY KEY,
    workflow_instance_id text NOT NULL,
    stage_no             integer NOT NULL CHECK (stage_no > 0),
    stage_status         text NOT NULL,
    approver_id          text,
    UNIQUE (workflow_instance_id, stage_no)
);

-- Approvals point at a stage by its composite natural key.
CREATE TABLE stage_approvals (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow_instance_id text NOT NULL,
    stage_no             integer NOT NULL,
    approved_by          text,
    decision             text NOT NULL CHECK (decision IN ('APPROVED', 'REJECTED')),
    decided_at           timestamptz NOT NULL DEFAULT now()
);

-- Master tables: every row belongs to a workspace and is frozen to a config version.
CREATE TABLE regions (
    id text PRIMARY KEY, workspace_id uuid NOT NULL, config_version_id text NOT NULL,
    code text NOT NULL, name text NOT NULL, created_by text, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sites (
    id text PRIMARY KEY, workspace_id uuid NOT NULL, config_version_id text NOT NULL,
    region_id text, code text NOT NULL, name text NOT NULL, created_by text,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- vendors.workspace_id was created as text: the type mismatch the seeds warn about
CREATE TABLE vendors (
    id text PRIMARY KEY, workspace_id text NOT NULL, config_version_id text NOT NULL,
    code text NOT NULL, name text NOT NULL, created_by text, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE equipment_models (
    id text PRIMARY KEY, workspace_id uuid NOT NULL, config_version_id text NOT NULL,
    vendor_id text, code text NOT NULL, name text NOT NULL, created_by text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE link_plans (
    id text PRIMARY KEY, workspace_id uuid NOT NULL, config_version_id text NOT NULL,
    site_a_id text, site_b_id text, equipment_model_id text, created_by text,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Provisioning (the "universal" resource tables of the seeds), in their own schema.
CREATE SCHEMA provisioning;

CREATE TABLE provisioning.organizations (
    id text PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE provisioning.roles (
    id text PRIMARY KEY, organization_id text NOT NULL, name text NOT NULL, provisioning text
);
CREATE TABLE provisioning.docks (
    id text PRIMARY KEY, organization_id text NOT NULL, name text NOT NULL, provider text NOT NULL
);
CREATE TABLE provisioning.servers (
    id text PRIMARY KEY, organization_id text NOT NULL, dock_id text, name text NOT NULL,
    provisioning_source text, sst_resource_id text, sst_stack_name text,
    provisioning_state text, provisioned_at timestamptz, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE provisioning.web_services (LIKE provisioning.servers INCLUDING ALL);
CREATE TABLE provisioning.domains (LIKE provisioning.servers INCLUDING ALL);
CREATE TABLE provisioning.databases (LIKE provisioning.servers INCLUDING ALL);
-- by_provisioning_source and by_sst_resource on every universal table... except databases
CREATE INDEX servers_by_provisioning_source ON provisioning.servers (provisioning_source, organization_id);
CREATE INDEX servers_by_sst_resource ON provisioning.servers (sst_stack_name, sst_resource_id);
CREATE INDEX web_services_by_provisioning_source ON provisioning.web_services (provisioning_source, organization_id);
CREATE INDEX web_services_by_sst_resource ON provisioning.web_services (sst_stack_name, sst_resource_id);
CREATE INDEX domains_by_provisioning_source ON provisioning.domains (provisioning_source, organization_id);
CREATE INDEX domains_by_sst_resource ON provisioning.domains (sst_stack_name, sst_resource_id);

-- Audit trail of provisioning operations: resource_type chooses which table resource_id is in.
CREATE TABLE provisioning.events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resource_type text NOT NULL,
    resource_id   text NOT NULL,
    event         text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- The least-privilege role the worker audits with: SELECT only, read-only by default.
-- (Its password is set by the demo at start-up.)
CREATE ROLE integrity_auditor_ro LOGIN;
ALTER ROLE integrity_auditor_ro SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA public, provisioning TO integrity_auditor_ro;
GRANT SELECT ON ALL TABLES IN SCHEMA public, provisioning TO integrity_auditor_ro;
