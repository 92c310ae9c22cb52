-- expect: unsafe
-- hazard: the DO block runs a plain CREATE INDEX on orders, blocking writes during the build
-- rules: require-concurrent-index-creation
-- schema: app.sql

SET lock_timeout = '5s';

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'orders_status_idx') THEN
    CREATE INDEX orders_status_idx ON orders (status);
  END IF;
END
$$;
