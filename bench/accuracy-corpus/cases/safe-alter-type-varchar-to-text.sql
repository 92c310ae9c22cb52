-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE orders ALTER COLUMN note TYPE text;
