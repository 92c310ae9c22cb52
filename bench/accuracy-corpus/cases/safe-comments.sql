-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

COMMENT ON TABLE orders IS 'One row per checkout.';
COMMENT ON COLUMN orders.total IS 'Order total in the account currency, tax included.';
COMMENT ON COLUMN users.status IS 'active | suspended | deleted';
