-- expect: unsafe
-- hazard: dbmate wraps each migration in a transaction unless transaction:false is set, so CREATE INDEX CONCURRENTLY fails at deploy
-- rules: ban-concurrent-index-creation-in-transaction
-- schema: app.sql
-- transaction: per-file

-- migrate:up
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_created_at_idx ON users (created_at);

-- migrate:down
