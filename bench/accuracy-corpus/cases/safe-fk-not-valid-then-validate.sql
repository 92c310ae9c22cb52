-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE orders
  ADD CONSTRAINT orders_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;

ALTER TABLE orders VALIDATE CONSTRAINT orders_account_id_fkey;
