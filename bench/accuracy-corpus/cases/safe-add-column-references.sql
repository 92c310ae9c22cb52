-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- A new column without a default is all NULL: Postgres marks the foreign key valid without
-- scanning events. The locks on events and accounts are brief and bounded by lock_timeout.
ALTER TABLE events ADD COLUMN account_id bigint REFERENCES accounts (id);
