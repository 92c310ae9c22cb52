-- expect: unsafe
-- hazard: a new enum value cannot be used before its transaction commits; the UPDATE fails with "unsafe use of new value"
-- rules: enum-value-used-in-transaction
-- schema: app.sql

SET lock_timeout = '5s';

BEGIN;
ALTER TYPE order_status ADD VALUE 'refunded';
UPDATE orders SET status = 'refunded' WHERE id = 42;
COMMIT;
