-- expect: unsafe
-- hazard: ADD FOREIGN KEY without NOT VALID validates every row of orders while holding SHARE ROW EXCLUSIVE on orders and accounts, blocking writes to both
-- rules: adding-foreign-key-constraint
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE orders
  ADD CONSTRAINT orders_account_id_fkey FOREIGN KEY (account_id) REFERENCES accounts (id);
