/**
 * The Postgres ledger's schema, as an ordered list of migrations rendered for a schema name
 * (default `shipgate`, shared with `migrations apply`'s `shipgate.schema_migrations`, hence the
 * `ledger_` prefix on every table). Each runs once per database, in one transaction with its row in
 * `ledger_schema_migrations`, under a transaction-level advisory lock so two processes starting at
 * once do not race. Later versions append entries; an entry once released is never edited.
 */
import type { LedgerMigration } from "./sqlite-migrations.js";

/** sha256("shipgate:ledger"), first 8 bytes, big-endian, signed: the key the DDL runs under. */
export const ledgerSchemaLockKey = "-3282489506301197963";

/** The schema name as a quoted identifier. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export function postgresMigrations(schema: string): LedgerMigration[] {
  const s = quoteIdent(schema);
  return [
    {
      version: 1,
      name: "releases, deploys, steps, environments, locks, approvals, backups, tags",
      sql: `
CREATE TABLE ${s}.ledger_releases (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  version text NOT NULL,
  git_sha text,
  artifact jsonb NOT NULL,
  start text NOT NULL,
  config jsonb NOT NULL,
  env_keys jsonb NOT NULL,
  env_sealed text,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL
);
CREATE INDEX ledger_releases_by_time ON ${s}.ledger_releases (created_at DESC, seq DESC);
CREATE INDEX ledger_releases_by_version ON ${s}.ledger_releases (version, created_at DESC, seq DESC);

CREATE TABLE ${s}.ledger_deploys (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  environment text NOT NULL,
  kind text NOT NULL,
  release_id text NOT NULL,
  previous_release_id text,
  previous_traffic jsonb NOT NULL,
  strategy text NOT NULL,
  status text NOT NULL,
  actor text NOT NULL,
  reason text,
  plan jsonb NOT NULL,
  next_step integer NOT NULL,
  error text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX ledger_deploys_by_environment ON ${s}.ledger_deploys (environment, started_at DESC, seq DESC);

CREATE TABLE ${s}.ledger_deploy_steps (
  deploy_id text NOT NULL,
  step_index integer NOT NULL,
  type text NOT NULL,
  status text NOT NULL,
  detail jsonb NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (deploy_id, step_index)
);

CREATE TABLE ${s}.ledger_environments (
  environment text PRIMARY KEY,
  current_release_id text,
  traffic jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE ${s}.ledger_locks (
  environment text PRIMARY KEY,
  holder text NOT NULL,
  deploy_id text,
  hostname text NOT NULL,
  pid integer,
  acquired_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL
);

CREATE TABLE ${s}.ledger_approvals (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  deploy_id text NOT NULL,
  approver text NOT NULL,
  decision text NOT NULL,
  comment text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz
);
CREATE INDEX ledger_approvals_by_deploy ON ${s}.ledger_approvals (deploy_id, created_at DESC, seq DESC);

CREATE TABLE ${s}.ledger_backups (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  deploy_id text,
  environment text NOT NULL,
  location text NOT NULL,
  tables jsonb NOT NULL,
  checksum text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX ledger_backups_by_environment ON ${s}.ledger_backups (environment, created_at DESC, seq DESC);

CREATE TABLE ${s}.ledger_tags (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  environment text NOT NULL,
  deploy_id text NOT NULL,
  git_sha text NOT NULL,
  pushed boolean NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX ledger_tags_by_environment ON ${s}.ledger_tags (environment, created_at DESC, seq DESC);
`,
    },
    {
      version: 2,
      name: "analysis runs, notifications",
      sql: `
CREATE TABLE ${s}.ledger_analyses (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  deploy_id text NOT NULL,
  environment text NOT NULL,
  step_index integer NOT NULL,
  phase text NOT NULL,
  canary_release_id text NOT NULL,
  baseline_release_id text,
  verdict text NOT NULL,
  summary text NOT NULL,
  measurements jsonb NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX ledger_analyses_by_deploy ON ${s}.ledger_analyses (deploy_id, started_at, step_index, seq);

CREATE TABLE ${s}.ledger_notifications (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  deploy_id text NOT NULL,
  environment text NOT NULL,
  event text NOT NULL,
  channel text NOT NULL,
  ok boolean NOT NULL,
  attempts integer NOT NULL,
  status integer,
  error text,
  created_at timestamptz NOT NULL
);
CREATE INDEX ledger_notifications_by_deploy ON ${s}.ledger_notifications (deploy_id, created_at, seq);
`,
    },
    {
      version: 3,
      name: "feature flags: definitions, environment states, audit, evaluation totals, API tokens, revision",
      // Keys, environments and variants use the "C" collation: they sort by code point, as in SQLite
      // and in memory, whatever the database's locale.
      sql: `
CREATE TABLE ${s}.ledger_flags (
  key text COLLATE "C" PRIMARY KEY,
  description text NOT NULL,
  owner text NOT NULL,
  type text NOT NULL,
  removal_date text,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  archived_at timestamptz
);

CREATE TABLE ${s}.ledger_flag_states (
  flag_key text COLLATE "C" NOT NULL REFERENCES ${s}.ledger_flags (key),
  environment text COLLATE "C" NOT NULL,
  enabled boolean NOT NULL,
  rollout double precision NOT NULL,
  rules jsonb NOT NULL,
  variants jsonb NOT NULL,
  killed boolean NOT NULL,
  stickiness text NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  rollout_changed_at timestamptz NOT NULL,
  PRIMARY KEY (flag_key, environment)
);
CREATE INDEX ledger_flag_states_by_environment ON ${s}.ledger_flag_states (environment, flag_key);

CREATE TABLE ${s}.ledger_flag_audit (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  flag_key text COLLATE "C" NOT NULL,
  environment text COLLATE "C",
  action text NOT NULL,
  actor text NOT NULL,
  at timestamptz NOT NULL,
  before jsonb NOT NULL,
  after jsonb NOT NULL
);
CREATE INDEX ledger_flag_audit_by_flag ON ${s}.ledger_flag_audit (flag_key, at DESC, seq DESC);

CREATE TABLE ${s}.ledger_flag_evaluations (
  environment text COLLATE "C" NOT NULL,
  day text NOT NULL,
  flag_key text COLLATE "C" NOT NULL,
  has_variant boolean NOT NULL,
  variant text COLLATE "C" NOT NULL,
  enabled boolean NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (environment, day, flag_key, has_variant, variant, enabled)
);

CREATE TABLE ${s}.ledger_api_tokens (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  hash text NOT NULL UNIQUE,
  name text NOT NULL,
  environment text NOT NULL,
  scope text NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  revoked_at timestamptz
);

CREATE TABLE ${s}.ledger_flag_revision (
  id integer PRIMARY KEY CHECK (id = 1),
  revision bigint NOT NULL
);
INSERT INTO ${s}.ledger_flag_revision (id, revision) VALUES (1, 0);
`,
    },
    {
      version: 4,
      name: "audit log: hash-chained entries and the chain head",
      // seq is given by the append (head + 1, with the head row locked FOR UPDATE), never by the
      // database. The triggers refuse UPDATE, DELETE and TRUNCATE, so only someone disabling them
      // first can change an entry, and verifyAudit then finds it.
      sql: `
CREATE TABLE ${s}.ledger_audit (
  seq bigint PRIMARY KEY,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text COLLATE "C" NOT NULL,
  environment text COLLATE "C",
  source text,
  before jsonb NOT NULL,
  after jsonb NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX ledger_audit_by_target ON ${s}.ledger_audit (target, seq);

CREATE TABLE ${s}.ledger_audit_head (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO ${s}.ledger_audit_head (id, seq, hash) VALUES (1, 0, '${"0".repeat(64)}');

CREATE FUNCTION ${s}.ledger_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER ledger_audit_no_change BEFORE UPDATE OR DELETE ON ${s}.ledger_audit
  FOR EACH ROW EXECUTE FUNCTION ${s}.ledger_audit_append_only();
CREATE TRIGGER ledger_audit_no_truncate BEFORE TRUNCATE ON ${s}.ledger_audit
  FOR EACH STATEMENT EXECUTE FUNCTION ${s}.ledger_audit_append_only();
`,
    },
    {
      version: 5,
      name: "gate reports: shipgate check reports by commit",
      sql: `
CREATE TABLE ${s}.ledger_gate_reports (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  git_sha text COLLATE "C" NOT NULL,
  environment text COLLATE "C",
  passed boolean NOT NULL,
  summary text NOT NULL,
  report jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL
);
CREATE INDEX ledger_gate_reports_by_sha ON ${s}.ledger_gate_reports (git_sha, environment, created_at DESC, seq DESC);
`,
    },
    {
      version: 6,
      name: "deploy notes: why a plan differs from its strategy",
      sql: `ALTER TABLE ${s}.ledger_deploys ADD COLUMN notes jsonb NOT NULL DEFAULT '[]'::jsonb;`,
    },
  ];
}
