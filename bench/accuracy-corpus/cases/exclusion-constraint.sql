-- expect: unsafe
-- hazard: ADD CONSTRAINT ... EXCLUDE builds a GiST index over bookings under ACCESS EXCLUSIVE; exclusion constraints cannot be added NOT VALID or USING INDEX
-- rules: adding-exclusion-constraint
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE bookings
  ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);
