-- expect: unsafe
-- hazard: CREATE INDEX on a partitioned parent builds the index on every partition under a SHARE lock, blocking writes to all of them
-- rules: create-index-on-partitioned-table, require-concurrent-index-creation
-- schema: app.sql

SET lock_timeout = '5s';

CREATE INDEX measurements_device_id_idx ON measurements (device_id);
