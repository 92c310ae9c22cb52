-- expect: unsafe
-- hazard: ADD PRIMARY KEY builds the index over events under ACCESS EXCLUSIVE
-- rules: adding-primary-key-constraint
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE events ADD PRIMARY KEY (id);
