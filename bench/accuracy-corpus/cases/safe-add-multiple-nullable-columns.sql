-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE accounts
  ADD COLUMN IF NOT EXISTS country char(2),
  ADD COLUMN IF NOT EXISTS vat_number text,
  ADD COLUMN IF NOT EXISTS trial_ends_at timestamptz;
