-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE accounts ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'::jsonb;
