-- expect: safe
-- schema: app.sql

CREATE TABLE api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  label text NOT NULL,
  hashed_key text NOT NULL UNIQUE,
  scopes text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CONSTRAINT api_keys_label_length CHECK (char_length(label) <= 80)
);
CREATE INDEX api_keys_active_idx ON api_keys (created_at) WHERE revoked_at IS NULL;
