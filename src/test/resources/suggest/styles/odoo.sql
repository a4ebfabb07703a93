-- Modelled on an Odoo database (module-prefixed tables: res_users, res_partner, account_move;
-- create_uid and write_uid on every table).
CREATE TABLE res_company (id serial PRIMARY KEY, name varchar NOT NULL);
CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar, company_id int REFERENCES res_company (id),
  parent_id int REFERENCES res_partner (id), ref varchar);
CREATE TABLE res_users (id serial PRIMARY KEY, login varchar NOT NULL UNIQUE,
  partner_id int NOT NULL REFERENCES res_partner (id), company_id int NOT NULL REFERENCES res_company (id),
  create_uid int REFERENCES res_users (id), write_uid int REFERENCES res_users (id));
CREATE TABLE res_currency (id serial PRIMARY KEY, name varchar NOT NULL UNIQUE);
CREATE TABLE account_journal (id serial PRIMARY KEY, name varchar NOT NULL,
  company_id int NOT NULL REFERENCES res_company (id), currency_id int REFERENCES res_currency (id),
  create_uid int REFERENCES res_users (id), write_uid int REFERENCES res_users (id));
CREATE TABLE account_move (id serial PRIMARY KEY, name varchar,
  journal_id int NOT NULL REFERENCES account_journal (id),
  partner_id int REFERENCES res_partner (id), currency_id int NOT NULL REFERENCES res_currency (id),
  reversed_entry_id int REFERENCES account_move (id), amount_total numeric,
  create_uid int REFERENCES res_users (id), write_uid int REFERENCES res_users (id));
CREATE TABLE account_move_line (id serial PRIMARY KEY,
  move_id int NOT NULL REFERENCES account_move (id), partner_id int REFERENCES res_partner (id),
  debit numeric, credit numeric,
  create_uid int REFERENCES res_users (id), write_uid int REFERENCES res_users (id));

INSERT INTO res_company (name) VALUES ('My Company'), ('Subsidiary');
INSERT INTO res_partner (name, company_id, parent_id, ref)
  SELECT 'partner ' || i, 1 + i % 2, CASE WHEN i > 20 THEN 1 + i % 20 END, 'P' || i
  FROM generate_series(1, 400) i;
INSERT INTO res_users (login, partner_id, company_id)
  SELECT 'user' || i, i, 1 + i % 2 FROM generate_series(1, 12) i;
UPDATE res_users SET create_uid = 1, write_uid = CASE WHEN id > 2 THEN 2 ELSE 1 END;
INSERT INTO res_currency (name) VALUES ('EUR'), ('USD'), ('GBP');
INSERT INTO account_journal (name, company_id, currency_id, create_uid, write_uid)
  SELECT 'journal ' || i, 1 + i % 2, 1 + i % 3, 1, 2 FROM generate_series(1, 9) i;
INSERT INTO account_move (name, journal_id, partner_id, currency_id, reversed_entry_id,
  amount_total, create_uid, write_uid)
  SELECT 'MOVE/' || i, 1 + i % 9, 1 + (i * 7) % 400, 1 + i % 3,
         CASE WHEN i > 100 AND i % 25 = 0 THEN i - 100 END, i, 1 + i % 12, 1 + i % 12
  FROM generate_series(1, 2000) i;
INSERT INTO account_move_line (move_id, partner_id, debit, credit, create_uid, write_uid)
  SELECT 1 + i / 2, 1 + (i * 7) % 400, i, 0, 1 + i % 12, 1 + i % 12
  FROM generate_series(0, 3999) i;
ANALYZE;
