-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

UPDATE feature_flags SET enabled = true WHERE key = 'new_checkout';
DELETE FROM feature_flags WHERE key = 'legacy_checkout';
