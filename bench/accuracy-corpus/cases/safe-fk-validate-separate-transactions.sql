-- expect: safe
-- schema: app.sql

BEGIN;
SET LOCAL lock_timeout = '5s';
ALTER TABLE bookings
  ADD CONSTRAINT bookings_booked_by_fkey2 FOREIGN KEY (booked_by) REFERENCES users (id) NOT VALID;
COMMIT;

BEGIN;
SET LOCAL lock_timeout = '5s';
ALTER TABLE bookings VALIDATE CONSTRAINT bookings_booked_by_fkey2;
COMMIT;
