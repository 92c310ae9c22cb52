-- expect: unsafe
-- hazard: VACUUM FULL rewrites the whole events table under ACCESS EXCLUSIVE, blocking reads and writes for its duration
-- rules: table-rewrite
-- schema: app.sql

SET lock_timeout = '5s';

-- Reclaim space after deleting old events.
VACUUM FULL events;
