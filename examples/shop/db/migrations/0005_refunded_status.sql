BEGIN;
ALTER TYPE order_status ADD VALUE 'refunded';
-- Fails: a new enum value cannot be used in the transaction that adds it.
UPDATE orders SET status = 'refunded' WHERE id = 42;
COMMIT;
