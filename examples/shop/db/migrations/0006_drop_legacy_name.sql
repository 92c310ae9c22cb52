SET lock_timeout = '5s';
-- Destructive, approved in shipgate.yaml with a reason.
ALTER TABLE users DROP COLUMN legacy_name;
