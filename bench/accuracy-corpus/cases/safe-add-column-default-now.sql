-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- now() is STABLE, not volatile: it is evaluated once and stored as the missing value, no rewrite.
ALTER TABLE orders ADD COLUMN imported_at timestamptz NOT NULL DEFAULT now();
