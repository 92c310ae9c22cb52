-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

CREATE INDEX CONCURRENTLY measurements_2025_recorded_at_idx ON measurements_2025 (recorded_at);
