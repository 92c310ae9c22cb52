-- expect: unsafe
-- hazard: the backfill runs in the same transaction as ADD COLUMN, so the ACCESS EXCLUSIVE lock on users blocks all reads and writes until the whole UPDATE finishes
-- rules: long-running-under-access-exclusive, unbatched-backfill
-- schema: app.sql

SET lock_timeout = '5s';

BEGIN;
ALTER TABLE users ADD COLUMN display_name text;
UPDATE users SET display_name = coalesce(name, email);
COMMIT;
