SET lock_timeout = '5s';
-- Unsafe: integer -> bigint rewrites the table and its indexes under ACCESS EXCLUSIVE.
ALTER TABLE orders ALTER COLUMN total_cents TYPE bigint;
-- Unsafe: SET NOT NULL scans the whole table under ACCESS EXCLUSIVE.
ALTER TABLE users ALTER COLUMN nickname SET NOT NULL;
