-- expect: unsafe
-- hazard: ADD CONSTRAINT ... UNIQUE builds the index under ACCESS EXCLUSIVE on products
-- rules: disallowed-unique-constraint
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE products ADD CONSTRAINT products_sku_key UNIQUE (sku);
