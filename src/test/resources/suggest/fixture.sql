-- A realistic multi-schema SaaS database for measuring `suggest`: declared foreign keys in many
-- naming styles (snake_case, Prisma camelCase, id_<x>, <x>_code, role names, self-references,
-- a partitioned child, cross-schema, int -> bigint, a composite key, a unique non-id key), plus
-- columns that look like references but are not (ids of other systems, a counter, values of
-- another system in a *_id column, a text column of uuids, ids that match no table).
-- SuggestPrecisionRecallTest drops every foreign key, runs suggest and compares.
-- Data is generated arithmetically: the same script always gives the same database.

CREATE SCHEMA billing;
CREATE SCHEMA cms;

CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL UNIQUE);
INSERT INTO countries VALUES ('DE', 'Germany'), ('FR', 'France'), ('US', 'United States'),
  ('GB', 'United Kingdom'), ('JP', 'Japan'), ('BR', 'Brazil');

CREATE TABLE organizations (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  parent_organization_id bigint REFERENCES organizations (id),
  country_code char(2) REFERENCES countries (code),
  stripe_customer_id text,
  external_id text
);
INSERT INTO organizations (name, parent_organization_id, country_code, stripe_customer_id, external_id)
SELECT 'org ' || i,
       CASE WHEN i > 10 AND i % 3 = 0 THEN 1 + i % 10 END,
       (ARRAY['DE', 'FR', 'US', 'GB', 'JP'])[1 + i % 5],
       'cus_' || md5(i::text),
       'crm-' || (7000 + i)
FROM generate_series(1, 40) i;

CREATE TABLE users (
  id bigserial PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id),
  email text NOT NULL UNIQUE,
  invited_by bigint REFERENCES users (id),
  google_id text
);
INSERT INTO users (organization_id, email, invited_by, google_id)
SELECT 1 + i % 40, 'user' || i || '@example.com',
       CASE WHEN i > 1 AND i % 4 <> 0 THEN 1 + (i * 37) % (i - 1) END,
       (100000000 + i * 7919)::text
FROM generate_series(1, 300) i;

CREATE TABLE people (id serial PRIMARY KEY, full_name text NOT NULL);
INSERT INTO people (full_name) SELECT 'person ' || i FROM generate_series(1, 200) i;

CREATE TABLE contacts (
  id serial PRIMARY KEY,
  person_id int NOT NULL REFERENCES people (id),
  organization_id bigint REFERENCES organizations (id),
  hubspot_contact_id text
);
INSERT INTO contacts (person_id, organization_id, hubspot_contact_id)
SELECT 1 + (i * 13) % 200, 1 + i % 40, 'hs' || (i * 31) FROM generate_series(1, 250) i;

CREATE TABLE departments (id serial PRIMARY KEY, name text NOT NULL UNIQUE, head_employee_id int);
INSERT INTO departments (name) SELECT 'dept ' || i FROM generate_series(1, 8) i;

CREATE TABLE employees (
  id serial PRIMARY KEY,
  user_id bigint UNIQUE REFERENCES users (id),
  department_id int NOT NULL REFERENCES departments (id),
  manager_id int REFERENCES employees (id),
  badge_number text UNIQUE
);
INSERT INTO employees (user_id, department_id, manager_id, badge_number)
SELECT 5 * i, 1 + i % 8, CASE WHEN i > 8 THEN 1 + i % 8 END, 'B-' || (1000 + i)
FROM generate_series(1, 50) i;
UPDATE departments SET head_employee_id = id;
ALTER TABLE departments ADD FOREIGN KEY (head_employee_id) REFERENCES employees (id);

CREATE TABLE projects (
  id uuid PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id),
  owner_id bigint NOT NULL REFERENCES users (id),
  created_by bigint REFERENCES users (id),
  name text NOT NULL
);
INSERT INTO projects
SELECT md5('project' || i)::uuid, 1 + i % 40, 1 + (i * 7) % 300, 1 + (i * 11) % 300, 'project ' || i
FROM generate_series(1, 120) i;

CREATE TABLE task_statuses (id smallint PRIMARY KEY, name text NOT NULL UNIQUE);
INSERT INTO task_statuses VALUES (1, 'open'), (2, 'in progress'), (3, 'review'), (4, 'done'),
  (5, 'cancelled');

CREATE TABLE tasks (
  id bigserial PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES projects (id),
  status_id int NOT NULL REFERENCES task_statuses (id),
  assignee_id bigint REFERENCES users (id),
  parent_id bigint REFERENCES tasks (id),
  closed_by bigint REFERENCES users (id),
  title text NOT NULL
);
INSERT INTO tasks (project_id, status_id, assignee_id, parent_id, title)
SELECT md5('project' || (1 + i % 120))::uuid, 1 + i % 5, 1 + (i * 17) % 300,
       CASE WHEN i > 100 AND i % 5 = 0 THEN i - 100 END, 'task ' || i
FROM generate_series(1, 2000) i;

CREATE TABLE comments (
  id bigserial PRIMARY KEY,
  task_id integer NOT NULL REFERENCES tasks (id),
  author_id bigint NOT NULL REFERENCES users (id),
  original_comment_id bigint REFERENCES comments (id),
  body text NOT NULL
);
INSERT INTO comments (task_id, author_id, original_comment_id, body)
SELECT 1 + (i * 7) % 2000, 1 + (i * 29) % 300, CASE WHEN i > 50 AND i % 10 = 0 THEN i - 50 END,
       'comment ' || i
FROM generate_series(1, 3000) i;

CREATE TABLE sessions (id uuid PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id));
INSERT INTO sessions SELECT md5('session' || i)::uuid, 1 + i % 300 FROM generate_series(1, 500) i;

-- A partitioned child: its partitions are one table for suggest.
CREATE TABLE events (
  id bigint NOT NULL,
  occurred_at timestamptz NOT NULL,
  organization_id bigint NOT NULL REFERENCES organizations (id),
  user_id bigint REFERENCES users (id),
  session_id uuid,   -- the analytics tool's session, not a row of sessions
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO events
SELECT i, timestamptz '2025-01-01' + i * interval '3 hours', 1 + i % 40, 1 + (i * 3) % 300,
       md5('analytics' || i)::uuid
FROM generate_series(1, 4000) i;

CREATE TABLE addresses (
  id serial PRIMARY KEY,
  country_code char(2) NOT NULL REFERENCES countries (code),
  street text NOT NULL
);
INSERT INTO addresses (country_code, street)
SELECT (ARRAY['DE', 'FR', 'US', 'GB', 'JP', 'BR'])[1 + i % 6], i || ' Main Street'
FROM generate_series(1, 600) i;

CREATE TABLE customers (
  customer_id bigserial PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES organizations (id),
  billing_address_id int REFERENCES addresses (id),
  shipping_address_id int REFERENCES addresses (id),
  external_ref text
);
INSERT INTO customers (organization_id, billing_address_id, shipping_address_id, external_ref)
SELECT 1 + i % 40, i, CASE WHEN i % 3 = 0 THEN 200 + i END, 'X' || (i * 101)
FROM generate_series(1, 400) i;

CREATE TABLE warehouses (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO warehouses (name) SELECT 'warehouse ' || i FROM generate_series(1, 12) i;

-- Chat channels; orders.channel_id is the sales channel (1 web .. 4 store), a small counter.
CREATE TABLE channels (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO channels (name) SELECT 'channel ' || i FROM generate_series(1, 300) i;

-- orders.status_id is an application enum (1..5): task_statuses is about tasks, not orders.
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (customer_id),
  id_warehouse int REFERENCES warehouses (id),
  channel_id int NOT NULL,
  status_id int NOT NULL,
  tracking_id text
);
INSERT INTO orders (customer_id, id_warehouse, channel_id, status_id, tracking_id)
SELECT 1 + (i * 7) % 400, 1 + i % 12, 1 + i % 4, 1 + i % 5, '1Z' || (i * 977)
FROM generate_series(1, 3000) i;

CREATE TABLE categories (
  id serial PRIMARY KEY,
  name text NOT NULL,
  parent_category_id int REFERENCES categories (id)
);
INSERT INTO categories (name, parent_category_id)
SELECT 'category ' || i, CASE WHEN i > 5 THEN 1 + i % 5 END FROM generate_series(1, 20) i;

CREATE TABLE products (
  id serial PRIMARY KEY,
  sku text NOT NULL UNIQUE,
  category_id int REFERENCES categories (id),
  price numeric(10, 2) NOT NULL
);
INSERT INTO products (sku, category_id, price)
SELECT 'SKU-' || (10000 + i), 1 + i % 20, i * 1.5 FROM generate_series(1, 150) i;

CREATE TABLE order_items (
  order_id bigint NOT NULL REFERENCES orders (id),
  line_no int NOT NULL,
  sku text NOT NULL REFERENCES products (sku),
  quantity int NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
INSERT INTO order_items
SELECT 1 + i / 2, 1 + i % 2, 'SKU-' || (10001 + (i * 7) % 150), 1 + i % 3
FROM generate_series(0, 5999) i;

-- The seed documents' workflow tables, with the composite stage reference.
CREATE TABLE workflow_instances (
  id bigserial PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES projects (id),
  status text NOT NULL
);
INSERT INTO workflow_instances (project_id, status)
SELECT md5('project' || (1 + i % 120))::uuid, 'ACTIVE' FROM generate_series(1, 200) i;

CREATE TABLE workflow_stages (
  workflow_instance_id bigint NOT NULL REFERENCES workflow_instances (id),
  stage_no int NOT NULL,
  name text NOT NULL,
  PRIMARY KEY (workflow_instance_id, stage_no)
);
INSERT INTO workflow_stages
SELECT 1 + i / 3, 1 + i % 3, 'stage' FROM generate_series(0, 599) i;

CREATE TABLE stage_approvals (
  id bigserial PRIMARY KEY,
  workflow_instance_id bigint NOT NULL REFERENCES workflow_instances (id),
  stage_no int NOT NULL,
  approved_by bigint REFERENCES users (id),
  FOREIGN KEY (workflow_instance_id, stage_no) REFERENCES workflow_stages (workflow_instance_id, stage_no)
);
INSERT INTO stage_approvals (workflow_instance_id, stage_no, approved_by)
SELECT 1 + (i * 7) % 200, 1 + i % 3, 1 + (i * 13) % 300 FROM generate_series(1, 500) i;

-- Audit trail: actor_id is a reference, project_id holds project uuids as text (type problem),
-- request_id is the HTTP request's id (no table).
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  actor_id bigint REFERENCES users (id),
  project_id text,
  request_id uuid NOT NULL
);
INSERT INTO audit_log (actor_id, project_id, request_id)
SELECT 1 + (i * 3) % 300, md5('project' || (1 + i % 120))::uuid::text, md5('request' || i)::uuid
FROM generate_series(1, 1000) i;

-- visitor_id is the web analytics tool's visitor number: far outside visitors' keys.
CREATE TABLE visitors (id serial PRIMARY KEY, first_seen date NOT NULL);
INSERT INTO visitors (first_seen) SELECT date '2025-01-01' + i FROM generate_series(1, 100) i;
CREATE TABLE page_views (
  id bigserial PRIMARY KEY,
  visitor_id bigint NOT NULL,
  user_id bigint REFERENCES users (id),
  path text NOT NULL
);
INSERT INTO page_views (visitor_id, user_id, path)
SELECT 1000000000 + (i * 7919) % 500000, CASE WHEN i % 2 = 0 THEN 1 + i % 300 END, '/p/' || i
FROM generate_series(1, 2000) i;

-- billing: cross-schema references, a unique non-id key, ids of the payment provider.
CREATE TABLE billing.plans (id serial PRIMARY KEY, code text NOT NULL UNIQUE, price numeric NOT NULL);
INSERT INTO billing.plans (code, price) VALUES ('free', 0), ('team', 49), ('business', 199);

CREATE TABLE billing.taxes (id serial PRIMARY KEY, rate numeric NOT NULL);
INSERT INTO billing.taxes (rate) VALUES (0.19), (0.2), (0.07);

CREATE TABLE billing.subscriptions (
  id bigserial PRIMARY KEY,
  organization_id bigint NOT NULL REFERENCES public.organizations (id),
  plan_code text NOT NULL REFERENCES billing.plans (code),
  stripe_subscription_id text
);
INSERT INTO billing.subscriptions (organization_id, plan_code, stripe_subscription_id)
SELECT i, (ARRAY['free', 'team', 'business'])[1 + i % 3], 'sub_' || md5(i::text)
FROM generate_series(1, 40) i;

CREATE TABLE billing.invoices (
  id bigserial PRIMARY KEY,
  subscription_id bigint NOT NULL REFERENCES billing.subscriptions (id),
  organization_id bigint NOT NULL REFERENCES public.organizations (id),
  tax_id text,   -- the customer's VAT number, not a row of billing.taxes
  stripe_invoice_id text
);
INSERT INTO billing.invoices (subscription_id, organization_id, tax_id, stripe_invoice_id)
SELECT 1 + i % 40, 1 + i % 40, 'DE' || (100000000 + i * 7), 'in_' || md5(i::text)
FROM generate_series(1, 480) i;

CREATE TABLE billing.payments (
  id bigserial PRIMARY KEY,
  invoice_id bigint NOT NULL REFERENCES billing.invoices (id),
  stripe_id text NOT NULL,
  retry_count int NOT NULL
);
INSERT INTO billing.payments (invoice_id, stripe_id, retry_count)
SELECT 1 + i % 480, 'pi_' || md5(i::text), i % 3 FROM generate_series(1, 500) i;

-- cms: a Prisma-style schema with quoted PascalCase tables and camelCase columns.
CREATE TABLE cms."User" (id text PRIMARY KEY, email text NOT NULL UNIQUE);
INSERT INTO cms."User" SELECT 'cl' || md5('user' || i), 'author' || i || '@example.com'
FROM generate_series(1, 30) i;

CREATE TABLE cms."Category" (id serial PRIMARY KEY, "parentId" int REFERENCES cms."Category" (id), name text NOT NULL);
INSERT INTO cms."Category" ("parentId", name)
SELECT CASE WHEN i > 3 THEN 1 + i % 3 END, 'topic ' || i FROM generate_series(1, 10) i;

CREATE TABLE cms."Post" (
  id text PRIMARY KEY,
  "authorId" text NOT NULL REFERENCES cms."User" (id),
  "categoryId" int REFERENCES cms."Category" (id),
  title text NOT NULL
);
INSERT INTO cms."Post"
SELECT 'cp' || md5('post' || i), 'cl' || md5('user' || (1 + i % 30)), 1 + i % 10, 'post ' || i
FROM generate_series(1, 150) i;

CREATE TABLE cms."Comment" (
  id text PRIMARY KEY,
  "postId" text NOT NULL REFERENCES cms."Post" (id),
  "userId" text REFERENCES cms."User" (id),
  body text NOT NULL
);
INSERT INTO cms."Comment"
SELECT 'cc' || md5('comment' || i), 'cp' || md5('post' || (1 + i % 150)),
       'cl' || md5('user' || (1 + (i * 7) % 30)), 'nice'
FROM generate_series(1, 400) i;

ANALYZE;
