-- expect: unsafe
-- hazard: a volatile default (gen_random_uuid()) is evaluated per row, so ADD COLUMN rewrites users under ACCESS EXCLUSIVE
-- rules: adding-field-with-default
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid();
