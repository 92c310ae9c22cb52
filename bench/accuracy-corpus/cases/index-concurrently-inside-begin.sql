-- expect: unsafe
-- hazard: CREATE INDEX CONCURRENTLY cannot run inside a transaction block; the migration fails at deploy
-- rules: ban-concurrent-index-creation-in-transaction
-- schema: app.sql

BEGIN;
SET LOCAL lock_timeout = '5s';
CREATE INDEX CONCURRENTLY orders_shipped_at_idx ON orders (shipped_at);
COMMIT;
