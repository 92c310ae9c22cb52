-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_placed_at_idx ON orders (placed_at);
