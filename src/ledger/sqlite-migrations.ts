/**
 * The SQLite ledger's schema, as an ordered list of migrations. Each runs once per file, in the same
 * transaction as its row in `ledger_schema_migrations`. Later versions append entries (flags, audit);
 * an entry once released is never edited. JSON-valued fields are TEXT; times are canonical ISO text,
 * which sorts chronologically; `seq` breaks ties between rows written in the same millisecond.
 */

export interface LedgerMigration {
  version: number;
  name: string;
  sql: string;
}

export const sqliteMigrations: readonly LedgerMigration[] = [
  {
    version: 1,
    name: "releases, deploys, steps, environments, locks, approvals, backups, tags",
    sql: `
CREATE TABLE ledger_releases (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  version TEXT NOT NULL,
  git_sha TEXT,
  artifact TEXT NOT NULL,
  start TEXT NOT NULL,
  config TEXT NOT NULL,
  env_keys TEXT NOT NULL,
  env_sealed TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX ledger_releases_by_time ON ledger_releases (created_at DESC, seq DESC);
CREATE INDEX ledger_releases_by_version ON ledger_releases (version, created_at DESC, seq DESC);

CREATE TABLE ledger_deploys (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  environment TEXT NOT NULL,
  kind TEXT NOT NULL,
  release_id TEXT NOT NULL,
  previous_release_id TEXT,
  previous_traffic TEXT NOT NULL,
  strategy TEXT NOT NULL,
  status TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT,
  plan TEXT NOT NULL,
  next_step INTEGER NOT NULL,
  error TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX ledger_deploys_by_environment ON ledger_deploys (environment, started_at DESC, seq DESC);

CREATE TABLE ledger_deploy_steps (
  deploy_id TEXT NOT NULL,
  step_index INTEGER NOT NULL,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  detail TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  PRIMARY KEY (deploy_id, step_index)
);

CREATE TABLE ledger_environments (
  environment TEXT PRIMARY KEY,
  current_release_id TEXT,
  traffic TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE ledger_locks (
  environment TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  deploy_id TEXT,
  hostname TEXT NOT NULL,
  pid INTEGER,
  acquired_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL
);

CREATE TABLE ledger_approvals (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  deploy_id TEXT NOT NULL,
  approver TEXT NOT NULL,
  decision TEXT NOT NULL,
  comment TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT
);
CREATE INDEX ledger_approvals_by_deploy ON ledger_approvals (deploy_id, created_at DESC, seq DESC);

CREATE TABLE ledger_backups (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  deploy_id TEXT,
  environment TEXT NOT NULL,
  location TEXT NOT NULL,
  tables TEXT NOT NULL,
  checksum TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX ledger_backups_by_environment ON ledger_backups (environment, created_at DESC, seq DESC);

CREATE TABLE ledger_tags (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  environment TEXT NOT NULL,
  deploy_id TEXT NOT NULL,
  git_sha TEXT NOT NULL,
  pushed INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX ledger_tags_by_environment ON ledger_tags (environment, created_at DESC, seq DESC);
`,
  },
  {
    version: 2,
    name: "analysis runs, notifications",
    sql: `
CREATE TABLE ledger_analyses (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  deploy_id TEXT NOT NULL,
  environment TEXT NOT NULL,
  step_index INTEGER NOT NULL,
  phase TEXT NOT NULL,
  canary_release_id TEXT NOT NULL,
  baseline_release_id TEXT,
  verdict TEXT NOT NULL,
  summary TEXT NOT NULL,
  measurements TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX ledger_analyses_by_deploy ON ledger_analyses (deploy_id, started_at, step_index, seq);

CREATE TABLE ledger_notifications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  deploy_id TEXT NOT NULL,
  environment TEXT NOT NULL,
  event TEXT NOT NULL,
  channel TEXT NOT NULL,
  ok INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  status INTEGER,
  error TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX ledger_notifications_by_deploy ON ledger_notifications (deploy_id, created_at, seq);
`,
  },
  {
    version: 3,
    name: "feature flags: definitions, environment states, audit, evaluation totals, API tokens, revision",
    sql: `
CREATE TABLE ledger_flags (
  key TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  owner TEXT NOT NULL,
  type TEXT NOT NULL,
  removal_date TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  archived_at TEXT
);

CREATE TABLE ledger_flag_states (
  flag_key TEXT NOT NULL REFERENCES ledger_flags (key),
  environment TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  rollout REAL NOT NULL,
  rules TEXT NOT NULL,
  variants TEXT NOT NULL,
  killed INTEGER NOT NULL,
  stickiness TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  rollout_changed_at TEXT NOT NULL,
  PRIMARY KEY (flag_key, environment)
);
CREATE INDEX ledger_flag_states_by_environment ON ledger_flag_states (environment, flag_key);

CREATE TABLE ledger_flag_audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  flag_key TEXT NOT NULL,
  environment TEXT,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  at TEXT NOT NULL,
  before TEXT NOT NULL,
  after TEXT NOT NULL
);
CREATE INDEX ledger_flag_audit_by_flag ON ledger_flag_audit (flag_key, at DESC, seq DESC);

CREATE TABLE ledger_flag_evaluations (
  environment TEXT NOT NULL,
  day TEXT NOT NULL,
  flag_key TEXT NOT NULL,
  has_variant INTEGER NOT NULL,
  variant TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (environment, day, flag_key, has_variant, variant, enabled)
);

CREATE TABLE ledger_api_tokens (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  environment TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at TEXT
);

CREATE TABLE ledger_flag_revision (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL
);
INSERT INTO ledger_flag_revision (id, revision) VALUES (1, 0);
`,
  },
  {
    version: 4,
    name: "audit log: hash-chained entries and the chain head",
    // seq is given by the append (head + 1, under the write lock), never by the database. The
    // triggers refuse UPDATE and DELETE, so only someone editing the file by hand (dropping them
    // first) can change an entry, and verifyAudit then finds it.
    sql: `
CREATE TABLE ledger_audit (
  seq INTEGER PRIMARY KEY,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  environment TEXT,
  source TEXT,
  before TEXT NOT NULL,
  after TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX ledger_audit_by_target ON ledger_audit (target, seq);

CREATE TABLE ledger_audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO ledger_audit_head (id, seq, hash) VALUES (1, 0, '${"0".repeat(64)}');

CREATE TRIGGER ledger_audit_no_update BEFORE UPDATE ON ledger_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END;
CREATE TRIGGER ledger_audit_no_delete BEFORE DELETE ON ledger_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END;
`,
  },
  {
    version: 5,
    name: "gate reports: shipgate check reports by commit",
    sql: `
CREATE TABLE ledger_gate_reports (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  git_sha TEXT NOT NULL,
  environment TEXT,
  passed INTEGER NOT NULL,
  summary TEXT NOT NULL,
  report TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX ledger_gate_reports_by_sha ON ledger_gate_reports (git_sha, environment, created_at DESC, seq DESC);
`,
  },
  {
    version: 6,
    name: "deploy notes: why a plan differs from its strategy",
    sql: `ALTER TABLE ledger_deploys ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';`,
  },
];
