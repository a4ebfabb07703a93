-- Modelled on a Django project (app-prefixed table names: auth_user, django_content_type,
-- blog_post), where a column names only the end of its table's name.
CREATE TABLE django_content_type (id serial PRIMARY KEY, app_label varchar(100) NOT NULL,
  model varchar(100) NOT NULL, UNIQUE (app_label, model));
CREATE TABLE auth_user (id serial PRIMARY KEY, username varchar(150) NOT NULL UNIQUE,
  email varchar(254) NOT NULL, is_staff boolean NOT NULL);
CREATE TABLE auth_group (id serial PRIMARY KEY, name varchar(150) NOT NULL UNIQUE);
CREATE TABLE auth_permission (id serial PRIMARY KEY, name varchar(255) NOT NULL,
  content_type_id int NOT NULL REFERENCES django_content_type (id),
  codename varchar(100) NOT NULL, UNIQUE (content_type_id, codename));
CREATE TABLE auth_user_groups (id bigserial PRIMARY KEY,
  user_id int NOT NULL REFERENCES auth_user (id), group_id int NOT NULL REFERENCES auth_group (id),
  UNIQUE (user_id, group_id));
CREATE TABLE auth_group_permissions (id bigserial PRIMARY KEY,
  group_id int NOT NULL REFERENCES auth_group (id),
  permission_id int NOT NULL REFERENCES auth_permission (id), UNIQUE (group_id, permission_id));
CREATE TABLE django_admin_log (id serial PRIMARY KEY, action_time timestamptz NOT NULL,
  object_id text, content_type_id int REFERENCES django_content_type (id),
  user_id int NOT NULL REFERENCES auth_user (id), action_flag smallint NOT NULL);
CREATE TABLE blog_category (id bigserial PRIMARY KEY, name varchar(100) NOT NULL,
  slug varchar(100) NOT NULL UNIQUE);
CREATE TABLE blog_post (id bigserial PRIMARY KEY, title varchar(200) NOT NULL,
  slug varchar(200) NOT NULL UNIQUE, author_id int NOT NULL REFERENCES auth_user (id),
  category_id bigint REFERENCES blog_category (id), published timestamptz);
CREATE TABLE blog_comment (id bigserial PRIMARY KEY,
  post_id bigint NOT NULL REFERENCES blog_post (id), user_id int REFERENCES auth_user (id),
  body text NOT NULL);

INSERT INTO django_content_type (app_label, model) SELECT 'app' || (i % 4), 'model' || i
  FROM generate_series(1, 12) i;
INSERT INTO auth_user (username, email, is_staff) SELECT 'user' || i, 'u' || i || '@example.org', i < 4
  FROM generate_series(1, 150) i;
INSERT INTO auth_group (name) SELECT 'group ' || i FROM generate_series(1, 6) i;
INSERT INTO auth_permission (name, content_type_id, codename)
  SELECT 'Can ' || a || ' ' || c, c, a || '_' || c
  FROM generate_series(1, 12) c, unnest(ARRAY['add', 'change', 'delete', 'view']) a;
INSERT INTO auth_user_groups (user_id, group_id) SELECT u, 1 + u % 6 FROM generate_series(1, 150) u;
INSERT INTO auth_group_permissions (group_id, permission_id)
  SELECT g, p FROM generate_series(1, 6) g, generate_series(1, 48) p WHERE (g + p) % 4 = 0;
INSERT INTO django_admin_log (action_time, object_id, content_type_id, user_id, action_flag)
  SELECT timestamptz '2024-01-01' + i * interval '1 hour', i::text, 1 + i % 12, 1 + i % 3, 1 + i % 3
  FROM generate_series(1, 400) i;
INSERT INTO blog_category (name, slug) SELECT 'cat ' || i, 'cat-' || i FROM generate_series(1, 9) i;
INSERT INTO blog_post (title, slug, author_id, category_id, published)
  SELECT 'post ' || i, 'post-' || i, 1 + (i * 7) % 150, 1 + i % 9, now()
  FROM generate_series(1, 300) i;
INSERT INTO blog_comment (post_id, user_id, body)
  SELECT 1 + (i * 11) % 300, CASE WHEN i % 4 <> 0 THEN 1 + (i * 13) % 150 END, 'hi'
  FROM generate_series(1, 1200) i;
ANALYZE;
