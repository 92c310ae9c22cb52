-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- An earlier migration added and validated orders_account_id_not_null, so this needs no scan.
ALTER TABLE orders ALTER COLUMN account_id SET NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_account_id_not_null;
