-- expect: unsafe
-- hazard: SET LOCAL outside a transaction block has no effect, so ALTER TABLE runs without a lock_timeout
-- rules: require-lock-timeout
-- schema: app.sql

SET LOCAL lock_timeout = '5s';

ALTER TABLE users ADD COLUMN timezone text;
