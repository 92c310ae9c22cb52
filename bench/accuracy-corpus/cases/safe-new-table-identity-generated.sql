-- expect: safe
-- schema: app.sql

CREATE TABLE price_quotes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  quantity integer NOT NULL,
  unit_price numeric(10, 2) NOT NULL,
  line_total numeric(12, 2) GENERATED ALWAYS AS (quantity * unit_price) STORED,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
