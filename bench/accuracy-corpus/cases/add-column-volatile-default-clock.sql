-- expect: unsafe
-- hazard: clock_timestamp() is volatile, so ADD COLUMN rewrites orders under ACCESS EXCLUSIVE
-- rules: adding-field-with-default
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE orders ADD COLUMN synced_at timestamptz DEFAULT clock_timestamp();
