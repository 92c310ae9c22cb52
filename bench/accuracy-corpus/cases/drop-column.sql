-- expect: unsafe
-- hazard: DROP COLUMN breaks the running application version that still reads or writes users.age
-- rules: ban-drop-column
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users DROP COLUMN age;
