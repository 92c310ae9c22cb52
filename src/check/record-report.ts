/**
 * Stores a `shipgate check` report in the release ledger, keyed by the commit it checked (HEAD) and
 * the environment it targeted, so the team server can show the gate a release passed. Recording
 * never fails the check: every reason it cannot happen (no git repository, no commit, a memory:
 * ledger, a ledger that cannot be opened or written) comes back as data, for one line on stderr.
 * The report stored is what `shipgate check --format json` prints: it holds finding messages and
 * names, never env values (the checks keep those out of every report).
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import type { ShipgateConfig } from "../config/schema.js";
import { isShipgateError } from "../core/errors.js";
import { failingFindings } from "../core/finding.js";
import { gitInsideWorkTree, gitResolveCommit } from "../core/git.js";
import { plural } from "../core/plural.js";
import { defaultActor } from "../core/process-identity.js";
import { maskUrlPasswords } from "../env/mask.js";
import { maskLedgerUrl, openLedger, parseLedgerUrl } from "../ledger/index.js";
import type { GateReportRecord } from "../ledger/types.js";
import { ledgerUrlOf } from "./ledger-read.js";
import { toJsonCheckRun } from "./render.js";
import type { CheckRun } from "./run.js";

export type GateRecordOutcome =
  /** `where` names the ledger, e.g. "sqlite .shipgate/ledger.db". */
  | { recorded: true; id: string; gitSha: string; where: string }
  /** `why` says why not, e.g. "not a git repository (reports are stored by commit)". */
  | { recorded: false; why: string };

export interface RecordCheckReportOptions {
  cwd: string;
  config: ShipgateConfig;
  /** Directory of shipgate.yaml: relative SQLite ledger paths resolve against it. */
  configDir: string;
  /** $SHIPGATE_LEDGER_URL overrides ledger.url; $SHIPGATE_ACTOR names who ran the check. */
  env: NodeJS.ProcessEnv;
  run: CheckRun;
  /** When the report is recorded (default: now). */
  now?: Date;
  newId?: () => string;
}

/**
 * The one-line verdict stored with a report: "failed: 2 errors, 1 warning" or
 * "passed: 0 errors, 3 warnings". Errors are the findings failing the gate (unapproved error
 * findings of failed items); warnings are the unapproved warning findings of every item.
 */
export function gateSummary(run: CheckRun): string {
  let errors = 0;
  let warnings = 0;
  for (const item of run.items) {
    if (item.status === "fail") errors += failingFindings(item.findings).length;
    warnings += item.findings.filter((f) => f.severity === "warning" && f.suppression === undefined).length;
  }
  return `${run.failed ? "failed" : "passed"}: ${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}

/** Why a step failed, in one line without a password. */
function reason(error: unknown): string {
  const message = isShipgateError(error) || error instanceof Error ? error.message : String(error);
  return maskUrlPasswords(message.split("\n")[0] ?? message);
}

/** Records the run's report for HEAD in the ledger in force; never throws. */
export async function recordCheckReport(options: RecordCheckReportOptions): Promise<GateRecordOutcome> {
  const { cwd, config, configDir, env, run } = options;
  if (!(await gitInsideWorkTree(cwd))) {
    return { recorded: false, why: "not a git repository (reports are stored by commit)" };
  }
  let gitSha: string;
  try {
    gitSha = await gitResolveCommit(cwd, "HEAD");
  } catch {
    return { recorded: false, why: "the repository has no commit yet (reports are stored by commit)" };
  }
  let where: string;
  let url: string;
  try {
    url = ledgerUrlOf(config, env);
    const location = parseLedgerUrl(url, configDir);
    if (location.kind === "memory") {
      return { recorded: false, why: "the ledger is memory: (it keeps nothing between commands)" };
    }
    where =
      location.kind === "sqlite"
        ? `sqlite ${path.relative(configDir, location.file) || location.file}`
        : `postgres ${maskLedgerUrl(location.url)}`;
  } catch (error) {
    return { recorded: false, why: reason(error) };
  }
  const record: GateReportRecord = {
    id: `gr-${(options.newId ?? randomUUID)()}`,
    gitSha,
    environment: run.environment ?? null,
    passed: !run.failed,
    summary: gateSummary(run),
    report: toJsonCheckRun(run), // a CheckReport: what GET /api/releases/:id/gate serves
    createdAt: (options.now ?? new Date()).toISOString(),
    createdBy: defaultActor(env),
  };
  try {
    const ledger = await openLedger(url, configDir);
    try {
      await ledger.recordGateReport(record);
    } finally {
      await ledger.close();
    }
  } catch (error) {
    return { recorded: false, why: `${where}: ${reason(error)}` };
  }
  return { recorded: true, id: record.id, gitSha, where };
}
