-- expect: safe
-- schema: app.sql

CREATE TABLE country_codes (
  code char(2) PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE country_codes_staging (raw_code text, raw_name text);
INSERT INTO country_codes_staging VALUES ('de', 'Germany'), ('fr', 'France'), ('jp', 'Japan');
INSERT INTO country_codes (code, name)
  SELECT upper(raw_code), raw_name FROM country_codes_staging;
DROP TABLE country_codes_staging;
