-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- Backfill in batches of 5,000 rows, committing after each batch (Postgres 11+ allows COMMIT in
-- a DO block that is not inside a transaction).
DO $$
DECLARE
  batch_rows integer;
BEGIN
  LOOP
    UPDATE users
    SET status = 'active'
    WHERE id IN (
      SELECT id FROM users WHERE status IS NULL ORDER BY id LIMIT 5000 FOR UPDATE SKIP LOCKED
    );
    GET DIAGNOSTICS batch_rows = ROW_COUNT;
    EXIT WHEN batch_rows = 0;
    COMMIT;
    PERFORM pg_sleep(0.1);
  END LOOP;
END
$$;
