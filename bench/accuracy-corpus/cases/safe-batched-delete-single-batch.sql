-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- One bounded batch; the scheduled cleanup job removes the rest.
DELETE FROM events
WHERE ctid IN (
  SELECT ctid FROM events WHERE created_at < now() - interval '1 year' LIMIT 1000
);
