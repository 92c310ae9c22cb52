-- expect: unsafe
-- hazard: the runner already wraps the file in a transaction: this BEGIN is nested, and its COMMIT ends the runner's transaction early
-- rules: transaction-nesting
-- schema: app.sql
-- transaction: per-file

SET lock_timeout = '5s';

BEGIN;
ALTER TABLE accounts ADD COLUMN tax_id text;
COMMIT;
