-- expect: unsafe
-- hazard: CREATE INDEX without CONCURRENTLY holds a SHARE lock on orders for the whole build, blocking every write
-- rules: require-concurrent-index-creation
-- schema: app.sql

SET lock_timeout = '5s';

-- Speed up the "recent orders" dashboard.
CREATE INDEX orders_placed_at_idx ON orders (placed_at);
