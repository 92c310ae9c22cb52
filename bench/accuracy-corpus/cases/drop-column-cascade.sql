-- expect: unsafe
-- hazard: DROP COLUMN ... CASCADE also silently drops the active_users view that selects users.name
-- rules: ban-drop-column, drop-cascade
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users DROP COLUMN name CASCADE;
