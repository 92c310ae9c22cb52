-- expect: unsafe
-- hazard: the CHECK was added NOT VALID and never validated, so SET NOT NULL still scans users under ACCESS EXCLUSIVE
-- rules: adding-not-nullable-field
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users ADD CONSTRAINT users_status_not_null CHECK (status IS NOT NULL) NOT VALID;
ALTER TABLE users ALTER COLUMN status SET NOT NULL;
