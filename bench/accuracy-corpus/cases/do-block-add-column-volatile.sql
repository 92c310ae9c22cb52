-- expect: unsafe
-- hazard: the DO block adds a column with a volatile default, rewriting accounts under ACCESS EXCLUSIVE
-- rules: adding-field-with-default
-- schema: app.sql

SET lock_timeout = '5s';

DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_name = 'accounts' AND column_name = 'api_key'
  ) THEN
    ALTER TABLE accounts ADD COLUMN api_key uuid NOT NULL DEFAULT gen_random_uuid();
  END IF;
END
$$;
