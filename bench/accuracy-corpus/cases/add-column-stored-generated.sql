-- expect: unsafe
-- hazard: a stored generated column is computed for every existing row, rewriting orders under ACCESS EXCLUSIVE
-- rules: adding-generated-column
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED;
