-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users ADD COLUMN avatar_url text;
