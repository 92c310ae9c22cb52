-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- A constant default is stored in the catalog on Postgres 11+: no rewrite.
ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;
