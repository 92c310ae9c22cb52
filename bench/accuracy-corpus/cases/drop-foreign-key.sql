-- expect: unsafe
-- hazard: dropping a foreign key takes ACCESS EXCLUSIVE on orders and on the referenced users table; without lock_timeout every query on users can queue behind it
-- rules: drop-foreign-key, require-lock-timeout
-- schema: app.sql

ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;
