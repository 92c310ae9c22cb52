-- expect: unsafe
-- hazard: TRUNCATE ... CASCADE also empties every table that references accounts: users, orders, order_items, bookings
-- rules: drop-cascade, ban-truncate
-- schema: app.sql

SET lock_timeout = '5s';

TRUNCATE TABLE accounts CASCADE;
