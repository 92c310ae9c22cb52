-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

CREATE TYPE subscription_state AS ENUM ('trialing', 'active', 'past_due', 'canceled');

CREATE TABLE subscriptions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  state subscription_state NOT NULL DEFAULT 'trialing',
  current_period_end timestamptz
);
CREATE INDEX subscriptions_account_id_idx ON subscriptions (account_id);
