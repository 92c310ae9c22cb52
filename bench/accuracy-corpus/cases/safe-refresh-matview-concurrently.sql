-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- daily_revenue has a unique index, so it can be refreshed without blocking readers.
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_revenue;
