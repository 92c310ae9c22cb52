-- expect: unsafe
-- hazard: no lock_timeout: if a long transaction holds a lock on accounts, ADD COLUMN waits and every later query on accounts queues behind it
-- rules: require-lock-timeout
-- schema: app.sql

ALTER TABLE accounts ADD COLUMN billing_email text;
