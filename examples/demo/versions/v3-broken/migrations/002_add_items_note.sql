-- v2 adds a note to every item. Expand-only: a nullable column without a default changes only the
-- catalog (no table rewrite), and v1, still serving while v2 starts, never selects it.
SET lock_timeout = '2s';
ALTER TABLE items ADD COLUMN note text;
