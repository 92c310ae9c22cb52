-- expect: unsafe
-- hazard: the CHECK is added and validated in one transaction, so the ACCESS EXCLUSIVE lock of ADD CONSTRAINT is held during the full validation scan of users
-- rules: constraint-missing-not-valid, long-running-under-access-exclusive
-- schema: app.sql

BEGIN;
SET LOCAL lock_timeout = '5s';
ALTER TABLE users ADD CONSTRAINT users_name_not_null CHECK (name IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_name_not_null;
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_name_not_null;
COMMIT;
