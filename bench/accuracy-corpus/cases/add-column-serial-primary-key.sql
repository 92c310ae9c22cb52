-- expect: unsafe
-- hazard: adding a bigserial PRIMARY KEY rewrites events and builds the primary key index, all under ACCESS EXCLUSIVE
-- rules: adding-generated-column, adding-primary-key-constraint
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE events ADD COLUMN event_id bigserial PRIMARY KEY;
