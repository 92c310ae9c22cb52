-- expect: unsafe
-- hazard: a second BEGIN inside a transaction is ignored; the first COMMIT ends the outer transaction and the rest runs outside it
-- rules: transaction-nesting
-- schema: app.sql

SET lock_timeout = '5s';

BEGIN;
ALTER TABLE orders ADD COLUMN coupon_code text;
BEGIN;
ALTER TABLE orders ADD COLUMN discount numeric(10, 2);
COMMIT;
ALTER TABLE orders ADD COLUMN discount_reason text;
COMMIT;
