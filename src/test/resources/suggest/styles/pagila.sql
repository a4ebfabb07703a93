-- Modelled on the Pagila sample database (singular table names, <table>_id keys, a role prefix
-- manager_staff_id, an all-NULL original_language_id, a partitioned payment table).
CREATE TABLE country (country_id serial PRIMARY KEY, country text NOT NULL);
CREATE TABLE city (city_id serial PRIMARY KEY, city text NOT NULL,
  country_id int NOT NULL REFERENCES country (country_id));
CREATE TABLE address (address_id serial PRIMARY KEY, address text NOT NULL, address2 text,
  district text NOT NULL, city_id int NOT NULL REFERENCES city (city_id), postal_code text,
  phone text NOT NULL);
CREATE TABLE language (language_id serial PRIMARY KEY, name char(20) NOT NULL);
CREATE TABLE category (category_id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE actor (actor_id serial PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL);
CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL,
  language_id int NOT NULL REFERENCES language (language_id),
  original_language_id int REFERENCES language (language_id),
  rental_duration smallint NOT NULL, length smallint, replacement_cost numeric(5, 2) NOT NULL);
CREATE TABLE film_actor (actor_id int NOT NULL REFERENCES actor (actor_id),
  film_id int NOT NULL REFERENCES film (film_id), PRIMARY KEY (actor_id, film_id));
CREATE TABLE film_category (film_id int NOT NULL REFERENCES film (film_id),
  category_id int NOT NULL REFERENCES category (category_id), PRIMARY KEY (film_id, category_id));
CREATE TABLE staff (staff_id serial PRIMARY KEY, first_name text NOT NULL,
  address_id int NOT NULL REFERENCES address (address_id), store_id int NOT NULL,
  username text NOT NULL);
CREATE TABLE store (store_id serial PRIMARY KEY,
  manager_staff_id int NOT NULL UNIQUE REFERENCES staff (staff_id),
  address_id int NOT NULL REFERENCES address (address_id));
ALTER TABLE staff ADD FOREIGN KEY (store_id) REFERENCES store (store_id) DEFERRABLE INITIALLY DEFERRED;
CREATE TABLE customer (customer_id serial PRIMARY KEY,
  store_id int NOT NULL REFERENCES store (store_id), first_name text NOT NULL,
  email text, address_id int NOT NULL REFERENCES address (address_id), active int);
CREATE TABLE inventory (inventory_id serial PRIMARY KEY,
  film_id int NOT NULL REFERENCES film (film_id), store_id int NOT NULL REFERENCES store (store_id));
CREATE TABLE rental (rental_id serial PRIMARY KEY, rental_date timestamptz NOT NULL,
  inventory_id int NOT NULL REFERENCES inventory (inventory_id),
  customer_id int NOT NULL REFERENCES customer (customer_id),
  return_date timestamptz, staff_id int NOT NULL REFERENCES staff (staff_id));
CREATE TABLE payment (payment_id serial NOT NULL,
  customer_id int NOT NULL REFERENCES customer (customer_id),
  staff_id int NOT NULL REFERENCES staff (staff_id),
  rental_id int NOT NULL REFERENCES rental (rental_id),
  amount numeric(5, 2) NOT NULL, payment_date timestamptz NOT NULL,
  PRIMARY KEY (payment_date, payment_id)) PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p2022_01 PARTITION OF payment
  FOR VALUES FROM ('2022-01-01') TO ('2022-02-01');
CREATE TABLE payment_p2022_02 PARTITION OF payment
  FOR VALUES FROM ('2022-02-01') TO ('2022-03-01');

INSERT INTO country (country) SELECT 'country ' || i FROM generate_series(1, 109) i;
INSERT INTO city (city, country_id) SELECT 'city ' || i, 1 + i % 109 FROM generate_series(1, 600) i;
INSERT INTO address (address, district, city_id, postal_code, phone)
  SELECT i || ' street', 'district', 1 + i % 600, (10000 + i)::text, '555' || i
  FROM generate_series(1, 605) i;
INSERT INTO language (name) VALUES ('English'), ('Italian'), ('Japanese'), ('Mandarin'),
  ('French'), ('German');
INSERT INTO category (name) SELECT 'category ' || i FROM generate_series(1, 16) i;
INSERT INTO actor (first_name, last_name) SELECT 'first', 'last ' || i FROM generate_series(1, 200) i;
INSERT INTO film (title, language_id, rental_duration, length, replacement_cost)
  SELECT 'film ' || i, 1, 3 + i % 5, 46 + i % 140, 9.99 FROM generate_series(1, 1000) i;
INSERT INTO film_actor SELECT 1 + (f * 7 + k) % 200, f FROM generate_series(1, 1000) f,
  generate_series(0, 4) k;
INSERT INTO film_category SELECT f, 1 + f % 16 FROM generate_series(1, 1000) f;
BEGIN;
INSERT INTO staff (first_name, address_id, store_id, username) VALUES ('Mike', 3, 1, 'mike'),
  ('Jon', 4, 2, 'jon');
INSERT INTO store (manager_staff_id, address_id) VALUES (1, 1), (2, 2);
COMMIT;
INSERT INTO customer (store_id, first_name, email, address_id, active)
  SELECT 1 + i % 2, 'customer ' || i, 'c' || i || '@example.org', 5 + i, 1
  FROM generate_series(1, 599) i;
INSERT INTO inventory (film_id, store_id) SELECT 1 + i % 1000, 1 + i % 2 FROM generate_series(1, 4581) i;
INSERT INTO rental (rental_date, inventory_id, customer_id, staff_id)
  SELECT timestamptz '2022-01-01' + i * interval '10 minutes', 1 + (i * 13) % 4581,
         1 + (i * 7) % 599, 1 + i % 2
  FROM generate_series(1, 8000) i;
INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
  SELECT 1 + (i * 7) % 599, 1 + i % 2, i, 2.99, timestamptz '2022-01-01' + i * interval '5 minutes'
  FROM generate_series(1, 8000) i;
ANALYZE;
