-- expect: safe
-- schema: app.sql

CREATE SCHEMA IF NOT EXISTS billing;

CREATE TABLE billing.payment_methods (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  last4 char(4),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE billing.charges (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payment_method_id bigint NOT NULL REFERENCES billing.payment_methods (id),
  amount_cents bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX charges_payment_method_id_idx ON billing.charges (payment_method_id);
