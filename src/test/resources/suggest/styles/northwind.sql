-- Modelled on the Northwind sample database as ported to PostgreSQL (snake_case, <table>_id
-- keys of several types, bpchar customer ids, reports_to, and ship_via -> shippers).
CREATE TABLE categories (category_id smallint PRIMARY KEY, category_name varchar(15) NOT NULL);
CREATE TABLE customer_demographics (customer_type_id bpchar PRIMARY KEY, customer_desc text);
CREATE TABLE customers (customer_id bpchar PRIMARY KEY, company_name varchar(40) NOT NULL,
  postal_code varchar(10), region varchar(15));
CREATE TABLE customer_customer_demo (
  customer_id bpchar NOT NULL REFERENCES customers (customer_id),
  customer_type_id bpchar NOT NULL REFERENCES customer_demographics (customer_type_id),
  PRIMARY KEY (customer_id, customer_type_id));
CREATE TABLE employees (employee_id smallint PRIMARY KEY, last_name varchar(20) NOT NULL,
  postal_code varchar(10), reports_to smallint REFERENCES employees (employee_id));
CREATE TABLE region (region_id smallint PRIMARY KEY, region_description bpchar NOT NULL);
CREATE TABLE territories (territory_id varchar(20) PRIMARY KEY,
  territory_description bpchar NOT NULL, region_id smallint NOT NULL REFERENCES region (region_id));
CREATE TABLE employee_territories (
  employee_id smallint NOT NULL REFERENCES employees (employee_id),
  territory_id varchar(20) NOT NULL REFERENCES territories (territory_id),
  PRIMARY KEY (employee_id, territory_id));
CREATE TABLE shippers (shipper_id smallint PRIMARY KEY, company_name varchar(40) NOT NULL);
CREATE TABLE suppliers (supplier_id smallint PRIMARY KEY, company_name varchar(40) NOT NULL,
  postal_code varchar(10));
CREATE TABLE products (product_id smallint PRIMARY KEY, product_name varchar(40) NOT NULL,
  supplier_id smallint REFERENCES suppliers (supplier_id),
  category_id smallint REFERENCES categories (category_id), units_in_stock smallint,
  discontinued int NOT NULL);
CREATE TABLE orders (order_id smallint PRIMARY KEY,
  customer_id bpchar REFERENCES customers (customer_id),
  employee_id smallint REFERENCES employees (employee_id), order_date date,
  ship_via smallint REFERENCES shippers (shipper_id), ship_postal_code varchar(10));
CREATE TABLE order_details (order_id smallint NOT NULL REFERENCES orders (order_id),
  product_id smallint NOT NULL REFERENCES products (product_id), unit_price real NOT NULL,
  quantity smallint NOT NULL, PRIMARY KEY (order_id, product_id));
CREATE TABLE us_states (state_id smallint PRIMARY KEY, state_name varchar(100),
  state_abbr varchar(2), state_region varchar(50));

INSERT INTO categories SELECT i, 'category ' || i FROM generate_series(1, 8) i;
INSERT INTO customer_demographics VALUES ('A', 'a'), ('B', 'b');
INSERT INTO customers SELECT 'C' || lpad(i::text, 4, '0'), 'company ' || i, (1000 + i)::text, NULL
  FROM generate_series(1, 91) i;
INSERT INTO customer_customer_demo SELECT 'C' || lpad(i::text, 4, '0'), 'A'
  FROM generate_series(1, 91, 9) i;
INSERT INTO employees VALUES (2, 'Fuller', '98401', NULL);
INSERT INTO employees SELECT i, 'employee ' || i, (98000 + i)::text, 2
  FROM generate_series(1, 9) i WHERE i <> 2;
INSERT INTO region SELECT i, 'region ' || i FROM generate_series(1, 4) i;
INSERT INTO territories SELECT lpad((1000 + i)::text, 5, '0'), 'territory ' || i, 1 + i % 4
  FROM generate_series(1, 53) i;
INSERT INTO employee_territories SELECT 1 + i % 9, lpad((1000 + i)::text, 5, '0')
  FROM generate_series(1, 49) i;
INSERT INTO shippers SELECT i, 'shipper ' || i FROM generate_series(1, 3) i;
INSERT INTO suppliers SELECT i, 'supplier ' || i, (2000 + i)::text FROM generate_series(1, 29) i;
INSERT INTO products SELECT i, 'product ' || i, 1 + i % 29, 1 + i % 8, i % 50, 0
  FROM generate_series(1, 77) i;
INSERT INTO orders SELECT i, 'C' || lpad((1 + (i * 7) % 89)::text, 4, '0'), 1 + i % 9,
  date '1996-07-04' + i, 1 + i % 3, (1000 + i)::text FROM generate_series(10248, 11077) i;
INSERT INTO order_details SELECT o, 1 + (o * 3 + k * 11) % 77, 10.5, 1 + k
  FROM generate_series(10248, 11077) o, generate_series(0, 2) k;
INSERT INTO us_states SELECT i, 'state ' || i, 'S' || i % 10, 'west' FROM generate_series(1, 51) i;
ANALYZE;
