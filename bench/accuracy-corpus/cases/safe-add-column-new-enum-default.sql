-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

CREATE TYPE shipping_speed AS ENUM ('standard', 'express', 'overnight');

ALTER TABLE orders ADD COLUMN shipping shipping_speed NOT NULL DEFAULT 'standard';
