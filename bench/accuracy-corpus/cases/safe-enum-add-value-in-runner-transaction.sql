-- expect: safe
-- schema: app.sql
-- transaction: per-file

SET lock_timeout = '5s';

-- Postgres 12+ allows ADD VALUE inside a transaction as long as the value is not used in it.
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'on_hold';
COMMENT ON TYPE order_status IS 'Lifecycle of an order; on_hold is set by fraud review.';
