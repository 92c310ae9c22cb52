-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- events.id is already NOT NULL, so attaching the primary key needs no scan.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_id_idx ON events (id);
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_id_idx;
