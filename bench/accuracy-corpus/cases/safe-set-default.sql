-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users ALTER COLUMN status SET DEFAULT 'active';
ALTER TABLE orders ALTER COLUMN note SET DEFAULT '';
