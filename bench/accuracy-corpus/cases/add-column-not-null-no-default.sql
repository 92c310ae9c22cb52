-- expect: unsafe
-- hazard: ADD COLUMN ... NOT NULL without a default fails on a table that has rows
-- rules: adding-required-field
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE users ADD COLUMN locale text NOT NULL;
