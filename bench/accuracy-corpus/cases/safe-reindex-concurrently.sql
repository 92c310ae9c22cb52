-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

REINDEX INDEX CONCURRENTLY orders_user_id_idx;
