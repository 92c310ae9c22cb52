-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- Same scale, more precision: binary compatible, no rewrite.
ALTER TABLE products ALTER COLUMN price TYPE numeric(14, 2);
