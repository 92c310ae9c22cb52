-- expect: unsafe
-- hazard: changing the scale of a numeric (2 -> 4 digits) rewrites products under ACCESS EXCLUSIVE; only raising the precision is free
-- rules: changing-column-type
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE products ALTER COLUMN price TYPE numeric(14, 4);
