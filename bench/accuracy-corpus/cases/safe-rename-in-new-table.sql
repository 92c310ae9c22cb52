-- expect: safe
-- schema: app.sql

CREATE TABLE drafts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  body text NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now()
);

-- Fixing names before anything uses the new table.
ALTER TABLE drafts RENAME COLUMN body TO content;
ALTER TABLE drafts RENAME TO post_drafts;
