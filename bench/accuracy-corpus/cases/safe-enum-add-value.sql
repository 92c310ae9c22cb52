-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded' AFTER 'paid';
