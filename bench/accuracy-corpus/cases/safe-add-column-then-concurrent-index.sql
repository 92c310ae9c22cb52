-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users ADD COLUMN deleted_at timestamptz;
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_not_deleted_idx ON users (id) WHERE deleted_at IS NULL;
