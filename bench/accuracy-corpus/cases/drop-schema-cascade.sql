-- expect: unsafe
-- hazard: DROP SCHEMA ... CASCADE drops every table in legacy with its data
-- rules: ban-drop-schema, drop-cascade
-- schema: app.sql

SET lock_timeout = '5s';

DROP SCHEMA legacy CASCADE;
