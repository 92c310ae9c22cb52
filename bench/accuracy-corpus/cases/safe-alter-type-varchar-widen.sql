-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- Raising a varchar limit needs no rewrite and keeps the indexes.
ALTER TABLE products ALTER COLUMN sku TYPE varchar(128);
