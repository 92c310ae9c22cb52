-- expect: unsafe
-- hazard: an inline UNIQUE on a new column builds a unique index over users under ACCESS EXCLUSIVE
-- rules: disallowed-unique-constraint
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users ADD COLUMN external_id uuid UNIQUE;
