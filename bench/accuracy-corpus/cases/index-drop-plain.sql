-- expect: unsafe
-- hazard: DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on orders, blocking reads and writes
-- rules: require-concurrent-index-deletion
-- schema: app.sql

SET lock_timeout = '5s';

DROP INDEX orders_user_id_idx;
