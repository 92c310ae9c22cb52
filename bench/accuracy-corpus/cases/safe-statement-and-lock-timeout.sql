-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';
SET statement_timeout = '30s';

ALTER TABLE orders ADD COLUMN tracking_number text;
ALTER TABLE orders ADD COLUMN carrier text;
