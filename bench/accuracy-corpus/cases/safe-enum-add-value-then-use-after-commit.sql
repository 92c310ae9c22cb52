-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

BEGIN;
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';
COMMIT;

-- A new transaction: the value is committed and can be used.
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'refunded';
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'pending';
