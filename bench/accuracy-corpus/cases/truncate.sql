-- expect: unsafe
-- hazard: TRUNCATE deletes every row of audit_log and takes ACCESS EXCLUSIVE
-- rules: ban-truncate
-- schema: app.sql

SET lock_timeout = '5s';

TRUNCATE audit_log;
