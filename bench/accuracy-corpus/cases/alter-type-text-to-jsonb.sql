-- expect: unsafe
-- hazard: text -> jsonb with USING rewrites the large events table under ACCESS EXCLUSIVE
-- rules: changing-column-type
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb;
