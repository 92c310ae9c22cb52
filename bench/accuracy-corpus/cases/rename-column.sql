-- expect: unsafe
-- hazard: RENAME COLUMN breaks the running application version that still uses users.name
-- rules: renaming-column
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users RENAME COLUMN name TO full_name;
