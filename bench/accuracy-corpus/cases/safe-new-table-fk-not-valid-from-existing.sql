-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

CREATE TABLE gift_cards (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL UNIQUE,
  balance numeric(10, 2) NOT NULL DEFAULT 0
);

ALTER TABLE orders ADD COLUMN gift_card_id bigint;
ALTER TABLE orders
  ADD CONSTRAINT orders_gift_card_id_fkey FOREIGN KEY (gift_card_id) REFERENCES gift_cards (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_gift_card_id_fkey;
