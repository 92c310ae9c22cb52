-- expect: unsafe
-- hazard: CREATE INDEX CONCURRENTLY is not supported on a partitioned table; the migration fails at deploy
-- rules: create-index-on-partitioned-table
-- schema: app.sql

SET lock_timeout = '5s';

CREATE INDEX CONCURRENTLY measurements_recorded_at_idx ON measurements (recorded_at);
