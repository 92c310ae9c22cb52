-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE products ALTER COLUMN barcode TYPE varchar;
ALTER TABLE accounts ALTER COLUMN website SET DATA TYPE varchar(500);
