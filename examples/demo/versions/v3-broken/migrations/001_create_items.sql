-- The demo's items table. A new table is always safe to create.
CREATE TABLE items (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO items (name) VALUES ('apple'), ('pear');
