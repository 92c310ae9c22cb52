-- expect: unsafe
-- hazard: RENAME TO breaks the running application version that still uses audit_log
-- rules: renaming-table
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE audit_log RENAME TO audit_events;
