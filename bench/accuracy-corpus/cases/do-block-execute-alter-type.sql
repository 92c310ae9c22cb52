-- expect: unsafe
-- hazard: the EXECUTE string changes users.age from integer to bigint, rewriting users under ACCESS EXCLUSIVE
-- rules: changing-column-type
-- schema: app.sql

SET lock_timeout = '5s';

DO $$
BEGIN
  EXECUTE 'ALTER TABLE users ALTER COLUMN age TYPE bigint';
END
$$;
