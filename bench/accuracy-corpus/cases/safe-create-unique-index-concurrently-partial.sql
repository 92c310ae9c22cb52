-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

CREATE UNIQUE INDEX CONCURRENTLY users_active_lower_email_key
  ON users (lower(email))
  WHERE status = 'active';
