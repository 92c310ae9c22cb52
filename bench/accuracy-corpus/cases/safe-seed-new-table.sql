-- expect: safe
-- schema: app.sql

CREATE TABLE plans (
  code text PRIMARY KEY,
  name text NOT NULL,
  monthly_price numeric(10, 2) NOT NULL,
  seats integer
);

INSERT INTO plans (code, name, monthly_price, seats) VALUES
  ('free', 'Free', 0, 1),
  ('team', 'Team', 49, 10),
  ('business', 'Business', 199, 50),
  ('enterprise', 'Enterprise', 999, NULL);
