-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

CREATE INDEX CONCURRENTLY IF NOT EXISTS users_lower_email_idx ON users (lower(email));

-- Collect statistics for the new expression so the planner uses the index.
ANALYZE users;
