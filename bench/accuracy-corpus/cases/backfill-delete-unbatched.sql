-- expect: unsafe
-- hazard: one DELETE over the large events table runs as a single long transaction that locks every matching row
-- rules: unbatched-backfill, deleting-rows
-- schema: app.sql

SET lock_timeout = '5s';

DELETE FROM events WHERE created_at < now() - interval '90 days';
