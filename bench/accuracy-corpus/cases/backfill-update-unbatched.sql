-- expect: unsafe
-- hazard: one UPDATE over the whole users table locks every matching row until it finishes and produces one huge transaction (WAL, replica lag, bloat)
-- rules: unbatched-backfill
-- schema: app.sql

SET lock_timeout = '5s';

UPDATE users SET status = 'active' WHERE status IS NULL;
