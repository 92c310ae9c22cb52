-- expect: unsafe
-- hazard: the json type has no equality operator (DISTINCT, GROUP BY, UNION and unique indexes fail on it) and is re-parsed on every access; jsonb is meant
-- rules: prefer-jsonb
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE products ADD COLUMN attributes json;
