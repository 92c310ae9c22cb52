-- expect: unsafe
-- hazard: DROP TABLE loses the data and breaks code that still uses audit_log
-- rules: ban-drop-table
-- schema: app.sql

SET lock_timeout = '5s';

DROP TABLE audit_log;
