-- expect: safe
-- schema: app.sql

CREATE SEQUENCE IF NOT EXISTS credit_note_number_seq START WITH 1000;

CREATE TABLE credit_notes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  number bigint NOT NULL DEFAULT nextval('credit_note_number_seq'),
  reason text
);
ALTER SEQUENCE credit_note_number_seq OWNED BY credit_notes.number;
