-- expect: unsafe
-- hazard: the runner wraps the file in a transaction, so the author used a plain CREATE INDEX on the large events table: writes are blocked for the whole build
-- rules: require-concurrent-index-creation
-- schema: app.sql
-- transaction: per-file

SET lock_timeout = '5s';

ALTER TABLE events ADD COLUMN session_id uuid;
CREATE INDEX events_session_id_idx ON events (session_id);
