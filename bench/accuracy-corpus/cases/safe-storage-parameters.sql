-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE events SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.005);
ALTER TABLE orders ALTER COLUMN status SET STATISTICS 1000;
