-- expect: unsafe
-- hazard: shortening a varchar must check every row and rewrites accounts under ACCESS EXCLUSIVE (and fails if a value is longer)
-- rules: changing-column-type
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE accounts ALTER COLUMN website TYPE varchar(100);
