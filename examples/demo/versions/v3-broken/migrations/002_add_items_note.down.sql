-- Undoes 002 (`shipgate rollback --schema`): v1 never reads the column, so dropping it is safe
-- once v2 no longer serves.
SET lock_timeout = '2s';
ALTER TABLE items DROP COLUMN note;
