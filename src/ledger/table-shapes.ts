/**
 * Each ledger table's shape, written once: its name, the key an upsert replaces by, and for every
 * field of the domain record its SQL column and how the value is stored (text, integer, JSON,
 * boolean, ISO time; `?` when the column is nullable). The row readers (rows.ts) and the INSERT and
 * upsert statements of both SQL adapters (tableSql) are derived from it. The migrations that
 * create these columns are history and stay as they were written.
 */
import type { ApiTokenRecord, FlagAuditEntry, FlagDefinition, FlagEnvironmentState } from "../flags/types.js";
import type {
  AnalysisRun,
  Approval,
  AuditRecord,
  BackupRecord,
  Deploy,
  DeployLock,
  DeployStep,
  EnvironmentState,
  GateReportRecord,
  NotificationRecord,
  Release,
  TagRecord,
} from "./types.js";

export type ColumnCodec = "text" | "text?" | "int" | "int?" | "json" | "bool" | "time" | "time?";

export interface TableShape<R> {
  /** The table's name, without a schema. */
  table: string;
  /** The columns a row is unique by: what an upsert replaces. */
  key: readonly string[];
  /** Every field of the record: its column and codec, in the order a row is read into a record. */
  columns: { readonly [F in keyof R]-?: readonly [column: string, codec: ColumnCodec] };
}

/** The record each table holds. */
export interface TableRecords {
  release: Release;
  deploy: Deploy;
  step: DeployStep;
  environment: EnvironmentState;
  lock: DeployLock;
  approval: Approval;
  backup: BackupRecord;
  tag: TagRecord;
  analysis: AnalysisRun;
  notification: NotificationRecord;
  flag: FlagDefinition;
  flagState: FlagEnvironmentState;
  flagAudit: FlagAuditEntry;
  apiToken: ApiTokenRecord;
  audit: AuditRecord;
  gateReport: GateReportRecord;
}

export type TableName = keyof TableRecords;

export const tableShapes: { readonly [T in TableName]: TableShape<TableRecords[T]> } = {
  release: {
    table: "ledger_releases",
    key: ["id"],
    columns: {
      id: ["id", "text"],
      version: ["version", "text"],
      gitSha: ["git_sha", "text?"],
      artifact: ["artifact", "json"],
      start: ["start", "text"],
      config: ["config", "json"],
      envKeys: ["env_keys", "json"],
      envSealed: ["env_sealed", "text?"],
      createdAt: ["created_at", "time"],
      createdBy: ["created_by", "text"],
    },
  },
  deploy: {
    table: "ledger_deploys",
    key: ["id"],
    columns: {
      id: ["id", "text"],
      environment: ["environment", "text"],
      kind: ["kind", "text"],
      releaseId: ["release_id", "text"],
      previousReleaseId: ["previous_release_id", "text?"],
      previousTraffic: ["previous_traffic", "json"],
      strategy: ["strategy", "text"],
      status: ["status", "text"],
      actor: ["actor", "text"],
      reason: ["reason", "text?"],
      plan: ["plan", "json"],
      notes: ["notes", "json"],
      nextStep: ["next_step", "int"],
      error: ["error", "text?"],
      startedAt: ["started_at", "time"],
      finishedAt: ["finished_at", "time?"],
    },
  },
  step: {
    table: "ledger_deploy_steps",
    key: ["deploy_id", "step_index"],
    columns: {
      deployId: ["deploy_id", "text"],
      index: ["step_index", "int"],
      type: ["type", "text"],
      status: ["status", "text"],
      detail: ["detail", "json"],
      startedAt: ["started_at", "time"],
      finishedAt: ["finished_at", "time?"],
    },
  },
  environment: {
    table: "ledger_environments",
    key: ["environment"],
    columns: {
      environment: ["environment", "text"],
      currentReleaseId: ["current_release_id", "text?"],
      traffic: ["traffic", "json"],
      updatedAt: ["updated_at", "time"],
    },
  },
  lock: {
    table: "ledger_locks",
    key: ["environment"],
    columns: {
      environment: ["environment", "text"],
      holder: ["holder", "text"],
      deployId: ["deploy_id", "text?"],
      hostname: ["hostname", "text"],
      pid: ["pid", "int?"],
      acquiredAt: ["acquired_at", "time"],
      heartbeatAt: ["heartbeat_at", "time"],
    },
  },
  approval: {
    table: "ledger_approvals",
    key: ["id"],
    columns: {
      id: ["id", "text"],
      deployId: ["deploy_id", "text"],
      approver: ["approver", "text"],
      decision: ["decision", "text"],
      comment: ["comment", "text?"],
      createdAt: ["created_at", "time"],
      expiresAt: ["expires_at", "time?"],
    },
  },
  backup: {
    table: "ledger_backups",
    key: ["id"],
    columns: {
      id: ["id", "text"],
      deployId: ["deploy_id", "text?"],
      environment: ["environment", "text"],
      location: ["location", "text"],
      tables: ["tables", "json"],
      checksum: ["checksum", "text"],
      createdAt: ["created_at", "time"],
    },
  },
  tag: {
    table: "ledger_tags",
    key: ["name"],
    columns: {
      name: ["name", "text"],
      environment: ["environment", "text"],
      deployId: ["deploy_id", "text"],
      gitSha: ["git_sha", "text"],
      pushed: ["pushed", "bool"],
      createdAt: ["created_at", "time"],
    },
  },
  analysis: {
    table: "ledger_analyses",
    key: ["id"],
    columns: {
      id: ["id", "text"],
      deployId: ["deploy_id", "text"],
      environment: ["environment", "text"],
      stepIndex: ["step_index", "int"],
      phase: ["phase", "text"],
      canaryReleaseId: ["canary_release_id", "text"],
      baselineReleaseId: ["baseline_release_id", "text?"],
      verdict: ["verdict", "text"],
      summary: ["summary", "text"],
      measurements: ["measurements", "json"],
      startedAt: ["started_at", "time"],
      finishedAt: ["finished_at", "time?"],
    },
  },
  notification: {
    table: "ledger_notifications",
    key: ["id"],
    columns: {
      id: ["id", "text"],
      deployId: ["deploy_id", "text"],
      environment: ["environment", "text"],
      event: ["event", "text"],
      channel: ["channel", "text"],
      ok: ["ok", "bool"],
      attempts: ["attempts", "int"],
      status: ["status", "int?"],
      error: ["error", "text?"],
      createdAt: ["created_at", "time"],
    },
  },
  flag: {
    table: "ledger_flags",
    key: ["key"],
    columns: {
      key: ["key", "text"],
      description: ["description", "text"],
      owner: ["owner", "text"],
      type: ["type", "text"],
      removalDate: ["removal_date", "text?"],
      createdAt: ["created_at", "time"],
      createdBy: ["created_by", "text"],
      archivedAt: ["archived_at", "time?"],
    },
  },
  flagState: {
    table: "ledger_flag_states",
    key: ["flag_key", "environment"],
    columns: {
      flagKey: ["flag_key", "text"],
      environment: ["environment", "text"],
      enabled: ["enabled", "bool"],
      rollout: ["rollout", "int"],
      rules: ["rules", "json"],
      variants: ["variants", "json"],
      killed: ["killed", "bool"],
      stickiness: ["stickiness", "text"],
      updatedAt: ["updated_at", "time"],
      updatedBy: ["updated_by", "text"],
      rolloutChangedAt: ["rollout_changed_at", "time"],
    },
  },
  flagAudit: {
    table: "ledger_flag_audit",
    key: ["id"],
    columns: {
      id: ["id", "text"],
      flagKey: ["flag_key", "text"],
      environment: ["environment", "text?"],
      action: ["action", "text"],
      actor: ["actor", "text"],
      at: ["at", "time"],
      before: ["before", "json"],
      after: ["after", "json"],
    },
  },
  apiToken: {
    table: "ledger_api_tokens",
    key: ["id"],
    columns: {
      id: ["id", "text"],
      hash: ["hash", "text"],
      name: ["name", "text"],
      environment: ["environment", "text"],
      scope: ["scope", "text"],
      createdAt: ["created_at", "time"],
      createdBy: ["created_by", "text"],
      revokedAt: ["revoked_at", "time?"],
    },
  },
  audit: {
    table: "ledger_audit",
    key: ["seq"],
    columns: {
      seq: ["seq", "int"],
      prevHash: ["prev_hash", "text"],
      hash: ["hash", "text"],
      actor: ["actor", "text"],
      action: ["action", "text"],
      target: ["target", "text"],
      environment: ["environment", "text?"],
      source: ["source", "text?"],
      before: ["before", "json"],
      after: ["after", "json"],
      at: ["at", "time"],
    },
  },
  gateReport: {
    table: "ledger_gate_reports",
    key: ["id"],
    columns: {
      id: ["id", "text"],
      gitSha: ["git_sha", "text"],
      environment: ["environment", "text?"],
      passed: ["passed", "bool"],
      summary: ["summary", "text"],
      report: ["report", "json"],
      createdAt: ["created_at", "time"],
      createdBy: ["created_by", "text"],
    },
  },
};

/** A table's [field, [column, codec]] pairs, in order. */
export function shapeColumns(name: TableName): [string, readonly [string, ColumnCodec]][] {
  return Object.entries(tableShapes[name].columns);
}

export type Dialect = "sqlite" | "postgres";
export type SqlParam = string | number | boolean | null;

/**
 * The statements writing a table's records, in one dialect: SQLite binds `?` and stores JSON as
 * TEXT and booleans as 0/1; Postgres binds `$n`, casting JSON to jsonb. `schema` (quoted) prefixes
 * every table name.
 */
export function tableSql(dialect: Dialect, schema?: string) {
  const insert = (name: TableName, alias?: string): string => {
    const columns = shapeColumns(name).map(([, column]) => column);
    const values = columns.map(([, codec], i) =>
      dialect === "sqlite" ? "?" : `$${i + 1}${codec === "json" ? "::jsonb" : ""}`,
    );
    const { table } = tableShapes[name];
    return `INSERT INTO ${schema === undefined ? table : `${schema}.${table}`}${alias === undefined ? "" : ` AS ${alias}`}
      (${columns.map(([column]) => column).join(", ")}) VALUES (${values.join(", ")})`;
  };
  const onConflict = (name: TableName) => `ON CONFLICT (${tableShapes[name].key.join(", ")})`;
  return {
    /** INSERT of every column. */
    insert,
    /** INSERT that does nothing when a row with the same key exists. */
    insertNew: (name: TableName): string => `${insert(name)} ${onConflict(name)} DO NOTHING`,
    /** INSERT that replaces every other column of a row with the same key; `set` overrides a column's new value. */
    upsert(name: TableName, options: { as?: string; set?: Record<string, string> } = {}): string {
      const { key } = tableShapes[name];
      const sets = shapeColumns(name)
        .map(([, [column]]) => column)
        .filter((column) => !key.includes(column))
        .map((column) => `${column} = ${options.set?.[column] ?? `excluded.${column}`}`);
      return `${insert(name, options.as)} ${onConflict(name)} DO UPDATE SET ${sets.join(", ")}`;
    },
    /** The record's values in column order, encoded for the dialect. */
    params<T extends TableName>(name: T, record: TableRecords[T]): SqlParam[] {
      const fields = record as unknown as Record<string, unknown>;
      return shapeColumns(name).map(([field, [, codec]]): SqlParam => {
        const value = fields[field];
        if (codec === "json") return JSON.stringify(value);
        if (codec === "bool" && dialect === "sqlite") return value ? 1 : 0;
        return value as SqlParam;
      });
    },
  };
}

export type TableSql = ReturnType<typeof tableSql>;
