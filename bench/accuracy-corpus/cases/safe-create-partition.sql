-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- Next year's partition; the parent has no default partition, so nothing is scanned.
CREATE TABLE IF NOT EXISTS measurements_2026 PARTITION OF measurements
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
