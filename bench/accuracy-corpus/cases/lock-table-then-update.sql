-- expect: unsafe
-- hazard: LOCK TABLE ... ACCESS EXCLUSIVE blocks every read and write of orders until the transaction commits, including the whole UPDATE
-- rules: lock-table, long-running-under-access-exclusive
-- schema: app.sql

BEGIN;
LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;
UPDATE orders SET note = '' WHERE note IS NULL;
COMMIT;
