-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- Appending a column keeps the existing columns, so every current query still works.
CREATE OR REPLACE VIEW active_users AS
  SELECT id, email, name, created_at FROM users WHERE status = 'active';
