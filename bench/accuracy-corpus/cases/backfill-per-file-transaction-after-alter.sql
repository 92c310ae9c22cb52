-- expect: unsafe
-- hazard: the runner's transaction holds the ACCESS EXCLUSIVE lock of ADD COLUMN on products while the backfill rewrites every row
-- rules: long-running-under-access-exclusive, unbatched-backfill
-- schema: app.sql
-- transaction: per-file

SET lock_timeout = '5s';

ALTER TABLE products ADD COLUMN search_text text;
UPDATE products SET search_text = lower(title || ' ' || sku);
