/**
 * The verify run: prepares the server (roles the migrations refer to, a schema dump, the baseline),
 * then runs each pending migration statement by statement, observing it, and where it has a down,
 * checks that up → down → up leaves the same schema and says where the down loses data.
 *
 * It returns the trace and the findings only verify can make (errors, downs, statements it could not
 * run); merge.ts compares the observations with the static lint.
 */
import type pg from "pg";
import type { Finding } from "../../core/finding.js";
import { plural } from "../../core/plural.js";
import {
  type CatalogDifference,
  type CatalogSnapshot,
  describeDifference,
  diffCatalogs,
  snapshotCatalog,
} from "../../pg/catalog-snapshot.js";
import { ensureHistoryTable, recordAppliedMigration } from "../../pg/history.js";
import type { DownMigration } from "../down.js";
import type { MigrationSource } from "../lint.js";
import type { ParsedFile, ParsedStatement } from "../parse.js";
import { type FindingLocation, verifyFinding } from "./rules.js";
import {
  type ExecutedStatement,
  type PhaseInput,
  type PhaseResult,
  type SessionMode,
  VerifySession,
} from "./session.js";
import {
  type DropTarget,
  dropTargets,
  executableText,
  nonTransactionalReason,
  referencedRoles,
} from "./statements.js";
import type { VerifyTarget } from "./target.js";
import type { DownTrace, FileTrace, StatementTrace, VerifyTrace } from "./trace.js";

export interface PlannedFile {
  source: MigrationSource;
  parsed: ParsedFile;
  /** Text with secrets masked (same offsets), for the trace. */
  displayText: string;
}

export interface PendingMigration extends PlannedFile {
  /** Name in shipgate.schema_migrations. */
  name: string;
  /** sha256 of the file's bytes (recorded with --commit). */
  checksum: string;
  down?: PlannedFile & { migration: DownMigration };
  /** False where no down is expected (e.g. Flyway repeatable migrations). */
  downExpected: boolean;
  /** Where the framework expects the down, for the message when it is missing. */
  expectedDown: string;
}

export interface VerifyPlan {
  mode: SessionMode;
  /** Record each verified migration in shipgate.schema_migrations (--commit). */
  record: boolean;
  /** Throwaway server: files replayed first, without observation. */
  baseline: PlannedFile[];
  /** Database: files its history lists as applied (names, for the trace). */
  applied: string[];
  /** Throwaway server: a schema dump loaded before the baseline. */
  schemaDump?: PlannedFile;
  pending: PendingMigration[];
  requireDown: boolean;
  toolVersion: string;
  onProgress?: (done: number, total: number) => void;
}

export interface VerifyRunResult {
  trace: VerifyTrace;
  /** Findings only verify makes: verify-error, verify-down-*, verify-not-executed. */
  findings: Finding[];
  /** The up statements of each pending file as they ran, by path. */
  executed: Map<string, ExecutedStatement[]>;
}

type At = FindingLocation;

function errorData(s: StatementTrace): Record<string, string | number> {
  const e = s.error;
  if (!e) return { code: "", condition: "", message: "", detail: "" };
  const extra = [
    e.detail,
    e.hint ? `hint: ${e.hint}` : undefined,
    e.where ? `context: ${e.where}` : undefined,
  ]
    .filter((x) => x !== undefined)
    .join("; ");
  return {
    code: e.code,
    condition: e.condition ? ` (${e.condition})` : "",
    message: e.message,
    detail: extra ? ` — ${extra}` : "",
  };
}

function atError(s: StatementTrace): At {
  return { file: s.file, line: s.error?.line ?? s.line, column: s.error?.column ?? s.column };
}

const maxListed = 6;

function summarize(
  diffs: readonly CatalogDifference[],
  labels: { expected: string; actual: string },
): string {
  const shown = diffs.slice(0, maxListed).map((d) => describeDifference(d, labels));
  if (diffs.length > maxListed) shown.push(`and ${diffs.length - maxListed} more (see the trace)`);
  return shown.join("; ");
}

/** The traces of a phase, with the failure when it was not a statement that ran (a syntax error). */
function traces(result: PhaseResult): StatementTrace[] {
  const out = result.executed.map((e) => e.trace);
  if (result.failed && !result.executed.includes(result.failed)) out.push(result.failed.trace);
  return out;
}

interface DropCount {
  target: DropTarget;
  stmt: ParsedStatement;
  file: string;
  /** Rows (or non-null values of the column) before the statement; undefined: could not count. */
  rows: number | undefined;
}

const countCap = 1_000_000;

function describeRows(rows: number | undefined, column: boolean): string {
  if (rows === undefined) return "an unknown number of rows";
  if (rows > countCap) return column ? "over 1,000,000 non-null values" : "over 1,000,000 rows";
  return column ? plural(rows, "non-null value") : plural(rows, "row");
}

function describeTarget(t: DropTarget): string {
  return t.column ? `column ${t.relation}.${t.column}` : `table ${t.relation}`;
}

function quoteQualified(client: pg.Client, name: string): string {
  const dot = name.indexOf(".");
  return `${client.escapeIdentifier(name.slice(0, dot))}.${client.escapeIdentifier(name.slice(dot + 1))}`;
}

export async function runVerify(target: VerifyTarget, plan: VerifyPlan): Promise<VerifyRunResult> {
  const started = performance.now();
  const session = new VerifySession(target.client, plan.mode, target.url);
  const findings: Finding[] = [];
  const executed = new Map<string, ExecutedStatement[]>();
  const trace: VerifyTrace = {
    server: {
      kind: target.kind,
      url: target.url,
      version: target.version,
      ...(target.startMs ? { startMs: target.startMs } : {}),
    },
    mode: plan.mode === "rollback-only" ? "rollback" : "apply",
    committed: plan.mode === "apply" && target.kind === "database",
    baseline: plan.baseline.map((b) => b.source.path),
    applied: plan.applied,
    rolesCreated: [],
    files: [],
    durationMs: 0,
  };

  const phase = (
    file: PlannedFile,
    phaseName: PhaseInput["phase"],
    existing: ReadonlySet<number>,
    beforeStatement?: PhaseInput["beforeStatement"],
  ): Promise<PhaseResult> =>
    session.runPhase({
      phase: phaseName,
      parsed: file.parsed,
      source: file.source,
      text: executableText(file.parsed),
      displayText: file.displayText,
      existing,
      // The second up is checked by its error and the snapshot after it: no per-statement observation.
      observe: phaseName === "up" || phaseName === "down",
      ...(beforeStatement ? { beforeStatement } : {}),
    });

  const countDrops = async (stmt: ParsedStatement, file: string, into: DropCount[]): Promise<void> => {
    for (const t of dropTargets(stmt)) {
      const quoted = quoteQualified(target.client, t.relation);
      const check = await session.aux<{ readable: boolean; has_column: boolean }>(
        `SELECT to_regclass($1) IS NOT NULL AND has_table_privilege(to_regclass($1), 'SELECT') AS readable,
                EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2
                          AND attnum > 0 AND NOT attisdropped) AS has_column`,
        [quoted, t.column ?? ""],
      );
      const row = check.rows[0];
      if (!row?.readable || (t.column !== undefined && !row.has_column)) continue;
      const where = t.column ? ` WHERE ${target.client.escapeIdentifier(t.column)} IS NOT NULL` : "";
      const counted = await session.aux<{ n: string }>(
        `SELECT count(*) AS n FROM (SELECT 1 FROM ${quoted}${where} LIMIT ${countCap + 1}) s`,
      );
      into.push({ target: t, stmt, file, rows: Number(counted.rows[0]?.n ?? 0) });
    }
  };

  const snapshot = async (): Promise<CatalogSnapshot> => {
    const s = await snapshotCatalog(target.client);
    session.invalidateLocks();
    return s;
  };

  let stopped: string | undefined;
  /** The snapshot after the last up, while nothing else has run since (the round trip is undone). */
  let postUp: CatalogSnapshot | undefined;

  // -- Preparing a throwaway server ----------------------------------------------------------------
  if (target.kind === "throwaway") {
    const everything = [
      ...(plan.schemaDump ? [plan.schemaDump] : []),
      ...plan.baseline,
      ...plan.pending.flatMap((p) => (p.down ? [p, p.down] : [p])),
    ].map((f) => f.parsed);
    const roles = referencedRoles(everything);
    if (roles.length > 0) {
      const existing = await target.client.query<{ rolname: string }>(
        "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1)",
        [roles],
      );
      const have = new Set(existing.rows.map((r) => r.rolname));
      for (const role of roles) {
        if (have.has(role)) continue;
        await target.client.query(`CREATE ROLE ${target.client.escapeIdentifier(role)} NOLOGIN`);
        trace.rolesCreated.push(role);
      }
    }
    if (plan.schemaDump) {
      // Its own connection: a pg_dump file sets search_path and other session settings.
      const client = await target.connect();
      try {
        const dumpSession = new VerifySession(client, "apply", target.url);
        const result = await dumpSession.runPhase({
          phase: "baseline",
          parsed: plan.schemaDump.parsed,
          source: { ...plan.schemaDump.source, transactionModel: "none" },
          text: executableText(plan.schemaDump.parsed),
          displayText: plan.schemaDump.displayText,
          existing: new Set(),
          observe: false,
        });
        if (result.failed) {
          const s = result.failed.trace;
          findings.push(verifyFinding("verify-error", "baseline", errorData(s), atError(s)));
          stopped = `the schema dump ${plan.schemaDump.source.path} failed`;
        }
      } finally {
        await client.end().catch(() => {});
      }
      session.invalidate();
    }
    for (const b of plan.baseline) {
      if (stopped) break;
      const result = await phase(b, "baseline", new Set());
      if (result.failed) {
        const s = result.failed.trace;
        findings.push(verifyFinding("verify-error", "baseline", errorData(s), atError(s)));
        stopped = `the baseline migration ${b.source.path} failed`;
      }
    }
  }

  // -- The pending migrations ----------------------------------------------------------------------
  await session.start();
  try {
    for (const [index, m] of plan.pending.entries()) {
      plan.onProgress?.(index, plan.pending.length);
      const fileTrace: FileTrace = {
        path: m.source.path,
        name: m.name,
        status: "not-run",
        transaction: m.source.transactionModel ?? "none",
        durationMs: 0,
        statements: [],
      };
      trace.files.push(fileTrace);
      if (stopped) {
        fileTrace.note = `not run: ${stopped}`;
        continue;
      }
      const fileStarted = performance.now();
      const existing = await session.relationOids();
      const down = m.down && m.down.parsed.statements.length > 0 ? m.down : undefined;
      // After a round trip the database is back where the previous up left it: its snapshot holds.
      const before = down ? (postUp ?? (await snapshot())) : undefined;
      postUp = undefined;
      const upDrops: DropCount[] = [];
      const up = await phase(
        m,
        "up",
        existing,
        down ? (stmt) => countDrops(stmt, m.source.path, upDrops) : undefined,
      );
      executed.set(m.source.path, up.executed);
      fileTrace.statements = traces(up);
      for (const e of up.executed) {
        const s = e.trace;
        const at = { file: s.file, line: s.line, column: s.column };
        const reason = nonTransactionalReason(e.stmt);
        if (s.status === "skipped" && reason) {
          findings.push(verifyFinding("verify-not-executed", "skipped", { reason }, at));
        } else if (s.ranAs === "without-concurrently") {
          findings.push(verifyFinding("verify-not-executed", "rewritten", {}, at));
        }
      }
      if (up.failed) {
        const s = up.failed.trace;
        // A syntax error is the lint's finding already (syntax-error); the trace shows where it stopped.
        if (s.kind !== "syntax error")
          findings.push(verifyFinding("verify-error", "default", errorData(s), atError(s)));
        fileTrace.status = "failed";
        fileTrace.note =
          up.executed.length === 0
            ? "nothing ran: the file's first statement does not parse"
            : up.rolledBack
              ? "the file's transaction was rolled back"
              : "the statements before the failing one stay applied (they ran outside a transaction)";
        fileTrace.durationMs = performance.now() - fileStarted;
        stopped = `${m.source.path} failed`;
        continue;
      }

      if (m.down && !down) {
        fileTrace.down = {
          path: m.down.source.path,
          convention: m.down.migration.convention,
          status: "empty",
          differences: [],
          statements: [],
          redo: [],
        };
        findings.push(
          verifyFinding(
            "verify-down-missing",
            "empty",
            { where: m.down.migration.section ? `the section in ${m.down.source.path}` : m.down.source.path },
            { file: m.source.path, line: 1, column: 1 },
          ),
        );
      } else if (down && before) {
        const result = await roundTrip(m, down, before, upDrops);
        fileTrace.down = result.trace;
        postUp = result.afterUp;
      } else if (m.downExpected) {
        findings.push(
          verifyFinding(
            "verify-down-missing",
            "default",
            { expected: m.expectedDown },
            { file: m.source.path, line: 1, column: 1 },
            plan.requireDown ? { severity: "error" } : {},
          ),
        );
      }

      if (plan.record && !stopped) {
        await ensureHistoryTable(target.client);
        await recordAppliedMigration(target.client, {
          name: m.name,
          checksum: m.checksum,
          appliedBy: "shipgate migrations verify --commit",
          durationMs: Math.round(up.durationMs),
          backupId: null,
          toolVersion: plan.toolVersion,
        });
      }
      fileTrace.status = "verified";
      fileTrace.durationMs = performance.now() - fileStarted;
    }
    plan.onProgress?.(plan.pending.length, plan.pending.length);
  } finally {
    await session.finish();
  }
  trace.durationMs = performance.now() - started;
  return { trace, findings, executed };

  // -- up → down → up ------------------------------------------------------------------------------
  async function roundTrip(
    m: PendingMigration,
    down: PlannedFile & { migration: DownMigration },
    before: CatalogSnapshot,
    upDrops: readonly DropCount[],
  ): Promise<{ trace: DownTrace; afterUp: CatalogSnapshot }> {
    const downTrace: DownTrace = {
      path: down.source.path,
      convention: down.migration.convention,
      status: "restores",
      differences: [],
      statements: [],
      redo: [],
    };
    const afterUp = await snapshot();
    // The round trip is undone at the end (endScratch): the next migration starts where the up left it.
    await session.beginScratch();
    try {
      return { ...(await downUp(m, down, before, afterUp, upDrops, downTrace)), afterUp };
    } finally {
      await session.endScratch();
    }
  }

  async function downUp(
    m: PendingMigration,
    down: PlannedFile & { migration: DownMigration },
    before: CatalogSnapshot,
    afterUp: CatalogSnapshot,
    upDrops: readonly DropCount[],
    downTrace: DownTrace,
  ): Promise<{ trace: DownTrace }> {
    const drops: DropCount[] = [];
    const downResult = await phase(down, "down", await session.relationOids(), (stmt) =>
      countDrops(stmt, down.source.path, drops),
    );
    downTrace.statements = traces(downResult);
    if (downResult.failed) {
      const s = downResult.failed.trace;
      findings.push(verifyFinding("verify-error", "down", errorData(s), atError(s)));
      downTrace.status = "failed";
      return { trace: downTrace };
    }
    const afterDown = await snapshot();
    const firstTrace = downResult.executed[0]?.trace;
    const downAt: At = {
      file: down.source.path,
      line: firstTrace?.line ?? 1,
      column: firstTrace?.column ?? 1,
    };

    // Data the down loses.
    for (const d of drops) {
      const column = d.target.column !== undefined;
      const relation = before.relations[d.target.relation];
      const existedBefore = column
        ? relation?.columns.some((c) => c.name === d.target.column) === true
        : relation !== undefined;
      const at = downResult.executed.find((e) => e.stmt === d.stmt)?.trace;
      const where: At = at ? { file: at.file, line: at.line, column: at.column } : downAt;
      if (existedBefore) {
        findings.push(
          verifyFinding(
            "verify-down-data-loss",
            "existedBefore",
            { object: describeTarget(d.target), rows: describeRows(d.rows, column) },
            where,
            { relation: d.target.relation },
          ),
        );
      } else if ((d.rows ?? 0) > 0) {
        findings.push(
          verifyFinding(
            "verify-down-data-loss",
            "holdsRows",
            { object: describeTarget(d.target), rows: describeRows(d.rows, column) },
            where,
            { relation: d.target.relation },
          ),
        );
      }
    }
    // Data the up drops that the down re-creates empty.
    for (const d of upDrops) {
      if ((d.rows ?? 0) === 0 || d.target.truncate) continue;
      const relation = afterDown.relations[d.target.relation];
      const back = d.target.column
        ? relation?.columns.some((c) => c.name === d.target.column) === true
        : relation !== undefined;
      if (!back) continue;
      const at = (executed.get(m.source.path) ?? []).find((e) => e.stmt === d.stmt)?.trace;
      findings.push(
        verifyFinding(
          "verify-down-data-loss",
          "notRestored",
          { object: describeTarget(d.target), rows: describeRows(d.rows, d.target.column !== undefined) },
          at
            ? { file: at.file, line: at.line, column: at.column }
            : { file: m.source.path, line: 1, column: 1 },
          { relation: d.target.relation },
        ),
      );
    }

    const labels = { expected: "before the migration", actual: "after the down" };
    const downDiffs = diffCatalogs(before, afterDown);
    if (downDiffs.length > 0) {
      downTrace.status = "differs";
      downTrace.differences.push(...downDiffs.map((d) => describeDifference(d, labels)));
      const orderOnly = downDiffs.every((d) => d.kind === "column order");
      findings.push(
        verifyFinding(
          "verify-down-mismatch",
          orderOnly ? "orderOnly" : "down",
          { count: plural(downDiffs.length, "difference"), differences: summarize(downDiffs, labels) },
          downAt,
          orderOnly ? { severity: "warning" } : {},
        ),
      );
    }

    const redo = await phase(m, "redo", await session.relationOids());
    downTrace.redo = traces(redo);
    if (redo.failed) {
      const s = redo.failed.trace;
      downTrace.status = "failed";
      findings.push(verifyFinding("verify-down-mismatch", "redoFails", errorData(s), atError(s)));
      return { trace: downTrace };
    }
    const afterRedo = await snapshot();
    const redoLabels = { expected: "after the up", actual: "after up → down → up" };
    const redoDiffs = diffCatalogs(afterUp, afterRedo);
    if (redoDiffs.length > 0) {
      downTrace.status = "differs";
      downTrace.differences.push(...redoDiffs.map((d) => describeDifference(d, redoLabels)));
      findings.push(
        verifyFinding(
          "verify-down-mismatch",
          "redo",
          { count: plural(redoDiffs.length, "difference"), differences: summarize(redoDiffs, redoLabels) },
          downAt,
        ),
      );
    }
    return { trace: downTrace };
  }
}
