-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- Each statement runs in its own transaction (autocommit): the CHECK is added without a scan,
-- validated under SHARE UPDATE EXCLUSIVE, and SET NOT NULL then uses it instead of scanning.
ALTER TABLE users ADD CONSTRAINT users_name_not_null CHECK (name IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_name_not_null;
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_name_not_null;
