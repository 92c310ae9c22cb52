-- expect: safe
-- schema: app.sql

DO $$
BEGIN
  CREATE TYPE payment_method AS ENUM ('card', 'sepa', 'invoice');
EXCEPTION
  WHEN duplicate_object THEN NULL;
END
$$;
