-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- The index on the parent only (it has no rows); each partition is indexed concurrently and
-- attached, after which the parent index becomes valid.
CREATE INDEX IF NOT EXISTS measurements_device_id_idx ON ONLY measurements (device_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS measurements_2024_device_id_idx ON measurements_2024 (device_id);
ALTER INDEX measurements_device_id_idx ATTACH PARTITION measurements_2024_device_id_idx;

CREATE INDEX CONCURRENTLY IF NOT EXISTS measurements_2025_device_id_idx ON measurements_2025 (device_id);
ALTER INDEX measurements_device_id_idx ATTACH PARTITION measurements_2025_device_id_idx;
