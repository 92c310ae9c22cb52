-- expect: unsafe
-- hazard: REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ACCESS EXCLUSIVE on daily_revenue, blocking every read until the query is recomputed
-- rules: refresh-materialized-view-without-concurrently
-- schema: app.sql

SET lock_timeout = '5s';

REFRESH MATERIALIZED VIEW daily_revenue;
