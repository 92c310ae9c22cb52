-- expect: safe
-- schema: app.sql

-- New tables only: nothing else can be using them yet, so plain indexes and foreign keys between
-- them take no lock that matters.
CREATE TABLE coupons (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code text NOT NULL,
  percent_off integer NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
  expires_at timestamptz
);
CREATE UNIQUE INDEX coupons_code_key ON coupons (code);

CREATE TABLE coupon_redemptions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  coupon_id bigint NOT NULL REFERENCES coupons (id) ON DELETE CASCADE,
  redeemed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX coupon_redemptions_coupon_id_idx ON coupon_redemptions (coupon_id);
