-- expect: unsafe
-- hazard: text -> varchar(n) checks and rewrites every row of events under ACCESS EXCLUSIVE
-- rules: changing-column-type
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE events ALTER COLUMN kind TYPE varchar(50);
