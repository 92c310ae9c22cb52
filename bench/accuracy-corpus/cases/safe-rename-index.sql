-- expect: safe
-- schema: app.sql

SET lock_timeout = '5s';

-- Index names are not used by application queries; renaming takes SHARE UPDATE EXCLUSIVE.
ALTER INDEX orders_user_id_idx RENAME TO orders_user_idx;
