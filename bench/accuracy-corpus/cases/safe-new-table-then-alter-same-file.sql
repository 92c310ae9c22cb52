-- expect: safe
-- schema: app.sql

-- Edits to a table created earlier in this file: it is empty and unused, so none of these block anyone.
CREATE TABLE notifications (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient text NOT NULL,
  body text NOT NULL
);
ALTER TABLE notifications ADD COLUMN channel text NOT NULL;
ALTER TABLE notifications ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE notifications ADD CONSTRAINT notifications_token_key UNIQUE (token);
ALTER TABLE notifications ALTER COLUMN id TYPE bigint;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check CHECK (channel IN ('email', 'sms', 'push'));
CREATE INDEX notifications_recipient_idx ON notifications (recipient);
