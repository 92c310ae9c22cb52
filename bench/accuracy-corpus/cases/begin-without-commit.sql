-- expect: unsafe
-- hazard: BEGIN without COMMIT: the transaction is left open (or rolled back at disconnect) and its locks on users are held
-- rules: ban-uncommitted-transaction
-- schema: app.sql

SET lock_timeout = '5s';

BEGIN;
ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE users ADD COLUMN website text;
