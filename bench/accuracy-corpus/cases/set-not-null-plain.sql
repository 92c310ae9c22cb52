-- expect: unsafe
-- hazard: SET NOT NULL scans all of users under ACCESS EXCLUSIVE when no validated CHECK (name IS NOT NULL) exists
-- rules: adding-not-nullable-field
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users ALTER COLUMN name SET NOT NULL;
