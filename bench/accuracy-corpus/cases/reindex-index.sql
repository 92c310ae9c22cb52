-- expect: unsafe
-- hazard: REINDEX without CONCURRENTLY blocks writes to orders and reads that would use the index while it is rebuilt
-- rules: reindex-without-concurrently
-- schema: app.sql

SET lock_timeout = '5s';

-- The index is bloated after the bulk import.
REINDEX INDEX orders_user_id_idx;
