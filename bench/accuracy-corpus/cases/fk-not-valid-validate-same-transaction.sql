-- expect: unsafe
-- hazard: NOT VALID and VALIDATE run in the runner's single transaction, so the write-blocking locks of ADD CONSTRAINT are held during validation
-- rules: constraint-missing-not-valid, adding-foreign-key-constraint
-- schema: app.sql
-- transaction: per-file

SET lock_timeout = '5s';

ALTER TABLE order_items
  ADD CONSTRAINT order_items_order_id_fkey2 FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
ALTER TABLE order_items VALIDATE CONSTRAINT order_items_order_id_fkey2;
