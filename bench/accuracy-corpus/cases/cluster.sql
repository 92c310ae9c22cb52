-- expect: unsafe
-- hazard: CLUSTER rewrites orders under ACCESS EXCLUSIVE, blocking reads and writes for its duration
-- rules: table-rewrite
-- schema: app.sql

SET lock_timeout = '5s';

CLUSTER orders USING orders_user_id_idx;
