-- expect: unsafe
-- hazard: int -> bigint rewrites orders and order_items and rebuilds their indexes under ACCESS EXCLUSIVE
-- rules: changing-column-type
-- schema: app.sql

SET lock_timeout = '5s';

-- orders.id is about to overflow 2^31.
ALTER TABLE orders ALTER COLUMN id TYPE bigint;
ALTER TABLE order_items ALTER COLUMN order_id TYPE bigint;
