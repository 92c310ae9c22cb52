-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- Unused according to pg_stat_user_indexes (idx_scan = 0 for 90 days).
DROP INDEX CONCURRENTLY IF EXISTS users_account_id_idx;
