-- expect: unsafe
-- hazard: DROP TYPE ... CASCADE silently drops the orders.status column that uses the enum, with its data
-- rules: drop-cascade, ban-drop-object
-- schema: app.sql

SET lock_timeout = '5s';

DROP TYPE order_status CASCADE;
