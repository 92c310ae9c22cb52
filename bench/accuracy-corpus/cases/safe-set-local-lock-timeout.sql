-- expect: safe
-- schema: app.sql

BEGIN;
SET LOCAL lock_timeout = '3s';
ALTER TABLE accounts ADD COLUMN region text;
COMMIT;
