-- expect: unsafe
-- hazard: NOT VALID and VALIDATE inside one BEGIN block: the ACCESS EXCLUSIVE lock of ADD CONSTRAINT is held while VALIDATE scans products
-- rules: constraint-missing-not-valid
-- schema: app.sql

SET lock_timeout = '5s';

BEGIN;
ALTER TABLE products ADD CONSTRAINT products_price_positive CHECK (price > 0) NOT VALID;
ALTER TABLE products VALIDATE CONSTRAINT products_price_positive;
COMMIT;
