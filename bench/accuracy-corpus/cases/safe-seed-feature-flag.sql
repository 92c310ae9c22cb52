-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

INSERT INTO feature_flags (key, enabled, description)
VALUES ('new_checkout', false, 'Rewritten checkout flow')
ON CONFLICT (key) DO NOTHING;
