-- expect: unsafe
-- hazard: in the runner's single transaction the new enum value is used as a default before it is committed; the migration fails
-- rules: enum-value-used-in-transaction
-- schema: app.sql
-- transaction: per-file

SET lock_timeout = '5s';

ALTER TYPE order_status ADD VALUE 'on_hold';
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'on_hold';
