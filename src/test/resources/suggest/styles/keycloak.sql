-- Modelled on Keycloak (tables named *_entity, varchar(36) ids).
CREATE TABLE realm (id varchar(36) PRIMARY KEY, name varchar(255) UNIQUE);
CREATE TABLE client (id varchar(36) PRIMARY KEY, client_id varchar(255),
  realm_id varchar(36) REFERENCES realm (id), UNIQUE (realm_id, client_id));
CREATE TABLE user_entity (id varchar(36) PRIMARY KEY, username varchar(255),
  realm_id varchar(255) REFERENCES realm (id), email varchar(255), UNIQUE (realm_id, username));
CREATE TABLE keycloak_role (id varchar(36) PRIMARY KEY, name varchar(255),
  realm_id varchar(255) REFERENCES realm (id), client varchar(36) REFERENCES client (id));
CREATE TABLE user_role_mapping (role_id varchar(255) NOT NULL REFERENCES keycloak_role (id),
  user_id varchar(36) NOT NULL REFERENCES user_entity (id), PRIMARY KEY (role_id, user_id));
CREATE TABLE credential (id varchar(36) PRIMARY KEY, type varchar(255),
  user_id varchar(36) REFERENCES user_entity (id), created_date bigint);
CREATE TABLE user_attribute (id varchar(36) PRIMARY KEY, name varchar(255) NOT NULL,
  value varchar(255), user_id varchar(36) NOT NULL REFERENCES user_entity (id));

INSERT INTO realm SELECT md5('realm' || i)::uuid::text, 'realm' || i FROM generate_series(1, 3) i;
INSERT INTO client SELECT md5('client' || i)::uuid::text, 'app' || i,
  md5('realm' || (1 + i % 3))::uuid::text FROM generate_series(1, 20) i;
INSERT INTO user_entity SELECT md5('user' || i)::uuid::text, 'user' || i,
  md5('realm' || (1 + i % 3))::uuid::text, 'u' || i || '@example.org' FROM generate_series(1, 300) i;
INSERT INTO keycloak_role SELECT md5('role' || i)::uuid::text, 'role' || i,
  md5('realm' || (1 + i % 3))::uuid::text,
  CASE WHEN i > 10 THEN md5('client' || (1 + i % 20))::uuid::text END FROM generate_series(1, 30) i;
INSERT INTO user_role_mapping SELECT md5('role' || (1 + (u * 7 + k) % 30))::uuid::text,
  md5('user' || u)::uuid::text FROM generate_series(1, 300) u, generate_series(0, 2) k;
INSERT INTO credential SELECT md5('cred' || i)::uuid::text, 'password', md5('user' || i)::uuid::text,
  1700000000000 + i FROM generate_series(1, 300) i;
INSERT INTO user_attribute SELECT md5('attr' || i)::uuid::text, 'locale', 'en',
  md5('user' || (1 + i % 300))::uuid::text FROM generate_series(1, 600) i;
ANALYZE;
