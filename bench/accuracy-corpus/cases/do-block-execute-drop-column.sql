-- expect: unsafe
-- hazard: the EXECUTE string drops users.age, breaking the running application version that still uses it
-- rules: ban-drop-column
-- schema: app.sql

SET lock_timeout = '5s';

DO $$
BEGIN
  EXECUTE 'ALTER TABLE users DROP COLUMN IF EXISTS age';
END
$$;
