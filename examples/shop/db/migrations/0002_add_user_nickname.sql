-- Safe: a nullable column with a constant default, behind a lock timeout.
SET lock_timeout = '5s';
ALTER TABLE users ADD COLUMN nickname text DEFAULT '';
ALTER TABLE users ALTER COLUMN email TYPE varchar(255);
