-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE products ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
