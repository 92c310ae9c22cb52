-- expect: unsafe
-- hazard: lock_timeout = 0 means wait forever: while ADD COLUMN waits for its ACCESS EXCLUSIVE lock, every query on users queues behind it
-- rules: require-lock-timeout
-- schema: app.sql

SET lock_timeout = 0;

ALTER TABLE users ADD COLUMN nickname text;
