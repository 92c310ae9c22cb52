-- expect: unsafe
-- hazard: ADD CHECK without NOT VALID scans all of orders under ACCESS EXCLUSIVE
-- rules: constraint-missing-not-valid
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE orders ADD CONSTRAINT orders_total_nonnegative CHECK (total >= 0);
