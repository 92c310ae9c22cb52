-- expect: unsafe
-- hazard: in the runner's transaction, VALIDATE scans users while the ACCESS EXCLUSIVE lock taken by ADD COLUMN is still held
-- rules: constraint-missing-not-valid, long-running-under-access-exclusive
-- schema: app.sql
-- transaction: per-file

SET lock_timeout = '5s';

ALTER TABLE users ADD COLUMN referral_code text;
ALTER TABLE users ADD CONSTRAINT users_referral_code_length CHECK (length(referral_code) <= 32) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_referral_code_length;
