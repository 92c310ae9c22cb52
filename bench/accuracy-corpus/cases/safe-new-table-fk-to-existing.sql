-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

CREATE TABLE invoices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  number text NOT NULL,
  amount numeric(12, 2) NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invoices_number_key UNIQUE (number)
);
CREATE INDEX invoices_account_id_idx ON invoices (account_id);
