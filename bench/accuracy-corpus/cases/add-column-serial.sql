-- expect: unsafe
-- hazard: a serial column gets a nextval() default, so ADD COLUMN rewrites events under ACCESS EXCLUSIVE
-- rules: adding-generated-column, adding-field-with-default
-- schema: app.sql

SET lock_timeout = '5s';

ALTER TABLE events ADD COLUMN seq bigserial;
