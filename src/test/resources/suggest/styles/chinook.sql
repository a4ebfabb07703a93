-- Modelled on the Chinook sample database (PascalCase quoted names, <Table>Id keys, a
-- ReportsTo self-reference and a SupportRepId role). Structure only; data is generated.
CREATE TABLE "Artist" ("ArtistId" int PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "Album" ("AlbumId" int PRIMARY KEY, "Title" varchar(160) NOT NULL,
  "ArtistId" int NOT NULL REFERENCES "Artist" ("ArtistId"));
CREATE TABLE "Genre" ("GenreId" int PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "MediaType" ("MediaTypeId" int PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "Track" ("TrackId" int PRIMARY KEY, "Name" varchar(200) NOT NULL,
  "AlbumId" int REFERENCES "Album" ("AlbumId"),
  "MediaTypeId" int NOT NULL REFERENCES "MediaType" ("MediaTypeId"),
  "GenreId" int REFERENCES "Genre" ("GenreId"), "Composer" varchar(220),
  "Milliseconds" int NOT NULL, "Bytes" int, "UnitPrice" numeric(10, 2) NOT NULL);
CREATE TABLE "Employee" ("EmployeeId" int PRIMARY KEY, "LastName" varchar(20) NOT NULL,
  "Title" varchar(30), "ReportsTo" int REFERENCES "Employee" ("EmployeeId"),
  "PostalCode" varchar(10));
CREATE TABLE "Customer" ("CustomerId" int PRIMARY KEY, "LastName" varchar(20) NOT NULL,
  "PostalCode" varchar(10), "SupportRepId" int REFERENCES "Employee" ("EmployeeId"));
CREATE TABLE "Invoice" ("InvoiceId" int PRIMARY KEY,
  "CustomerId" int NOT NULL REFERENCES "Customer" ("CustomerId"),
  "InvoiceDate" timestamp NOT NULL, "BillingPostalCode" varchar(10), "Total" numeric(10, 2));
CREATE TABLE "InvoiceLine" ("InvoiceLineId" int PRIMARY KEY,
  "InvoiceId" int NOT NULL REFERENCES "Invoice" ("InvoiceId"),
  "TrackId" int NOT NULL REFERENCES "Track" ("TrackId"),
  "UnitPrice" numeric(10, 2) NOT NULL, "Quantity" int NOT NULL);
CREATE TABLE "Playlist" ("PlaylistId" int PRIMARY KEY, "Name" varchar(120));
CREATE TABLE "PlaylistTrack" ("PlaylistId" int NOT NULL REFERENCES "Playlist" ("PlaylistId"),
  "TrackId" int NOT NULL REFERENCES "Track" ("TrackId"), PRIMARY KEY ("PlaylistId", "TrackId"));

INSERT INTO "Artist" SELECT i, 'artist ' || i FROM generate_series(1, 275) i;
INSERT INTO "Album" SELECT i, 'album ' || i, 1 + (i * 7) % 275 FROM generate_series(1, 347) i;
INSERT INTO "Genre" SELECT i, 'genre ' || i FROM generate_series(1, 25) i;
INSERT INTO "MediaType" SELECT i, 'type ' || i FROM generate_series(1, 5) i;
INSERT INTO "Track" SELECT i, 'track ' || i, 1 + i % 347, 1 + i % 5, 1 + i % 25, NULL,
  200000 + i, 5000000 + i, 0.99 FROM generate_series(1, 3503) i;
INSERT INTO "Employee" VALUES (1, 'Adams', 'General Manager', NULL, 'T5K 2N1');
INSERT INTO "Employee" SELECT i, 'employee ' || i, 'Sales', CASE WHEN i < 6 THEN 1 ELSE 2 END,
  'T2P ' || i FROM generate_series(2, 8) i;
INSERT INTO "Customer" SELECT i, 'customer ' || i, (10000 + i)::text, 3 + i % 3
  FROM generate_series(1, 59) i;
INSERT INTO "Invoice" SELECT i, 1 + i % 59, timestamp '2021-01-01' + i * interval '1 day',
  (10000 + 1 + i % 59)::text, 5.94 FROM generate_series(1, 412) i;
INSERT INTO "InvoiceLine" SELECT i, 1 + i % 412, 1 + (i * 17) % 3503, 0.99, 1
  FROM generate_series(1, 2240) i;
INSERT INTO "Playlist" SELECT i, 'playlist ' || i FROM generate_series(1, 18) i;
INSERT INTO "PlaylistTrack" SELECT p, t FROM generate_series(1, 18) p, generate_series(1, 3503, 5) t
  WHERE (p + t) % 3 = 0;
ANALYZE;
