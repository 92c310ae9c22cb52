-- expect: unsafe
-- hazard: DROP VIEW breaks the running application version that still queries active_users
-- rules: ban-drop-view
-- schema: app.sql

SET lock_timeout = '5s';

DROP VIEW active_users;
