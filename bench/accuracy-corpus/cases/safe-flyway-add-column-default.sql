-- expect: safe
-- schema: app.sql
-- transaction: per-file

SET lock_timeout = '5s';

ALTER TABLE users ADD COLUMN marketing_opt_in boolean NOT NULL DEFAULT false;
