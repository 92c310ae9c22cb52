/**
 * Plain-text renderings of what `migrations apply | status | backups | restore` return. The JSON
 * format is the result objects themselves (toJson).
 */
import { isShipgateError } from "../../core/errors.js";
import { plural } from "../../core/plural.js";
import type { BackupSummary } from "../../pg/backup-store.js";
import type { ApplyResult } from "./apply.js";
import type { PlannedFile } from "./plan.js";
import type { RestoreReport } from "./restore.js";
import { formatDuration } from "./settings.js";
import type { StatusResult } from "./status.js";

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function renderPlanFile(file: PlannedFile, i: number): string[] {
  const how =
    file.mode === "transaction"
      ? "one transaction"
      : `autocommit, statement by statement: ${file.modeReason}`;
  const lines = [`  ${i + 1}. ${file.path}  (${how})`];
  for (const s of file.statements) {
    const locks = s.locks
      .filter((l) => l.existing)
      .map((l) => `${l.mode} on ${l.relation}`)
      .join(", ");
    lines.push(`     line ${String(s.line).padEnd(4)} ${s.summary}`);
    if (locks) lines.push(`               locks: ${locks}`);
  }
  return lines;
}

export function renderApplyResult(r: ApplyResult): string {
  const out: string[] = [];
  const head = r.dryRun ? "Plan (dry run: nothing was changed)" : "shipgate migrations apply";
  out.push(`${head} → ${r.database} (Postgres ${r.serverVersion})`);
  out.push(
    `  lock_timeout ${formatDuration(r.settings.lockTimeoutMs)}, statement_timeout ${formatDuration(r.settings.statementTimeoutMs)}, up to ${plural(r.settings.lockRetries, "retry", "retries")} after a lock timeout`,
  );
  if (r.lock)
    out.push(
      `  migration lock taken${r.lock.waitedMs > 500 ? ` after waiting ${formatDuration(Math.round(r.lock.waitedMs / 1000) * 1000)}` : ""}`,
    );
  for (const e of r.edited) out.push(`  error: ${e.path} was edited after it was applied`);
  for (const m of r.missingFiles) out.push(`  warning: ${m} is recorded as applied but its file is gone`);
  for (const m of r.outOfOrder)
    out.push(`  warning: ${m} is pending but sorts before a migration already applied`);
  // Refused before planning: the refusal and its hint (the error) are the whole answer.
  if (r.status === "refused" && r.edited.length > 0) return `${out.join("\n")}\n`;

  if (r.status === "up-to-date") {
    out.push(`Nothing to apply: ${plural(r.appliedBefore, "migration")} applied, none pending.`);
    return `${out.join("\n")}\n`;
  }
  if (r.dryRun || r.status === "refused") {
    out.push("");
    out.push(`${plural(r.plan.length, "pending migration")}:`);
    r.plan.forEach((f, i) => {
      out.push(...renderPlanFile(f, i));
    });
    const included = r.backupCandidates.filter((c) => c.included).map((c) => c.name);
    out.push("");
    out.push(included.length > 0 ? `Tables to back up: ${included.join(", ")}` : "Tables to back up: none");
    for (const c of r.backupCandidates.filter((x) => !x.included))
      out.push(`  not backed up: ${c.name} (${c.reason})`);
  }
  if (r.backup) {
    out.push(
      `Backup ${r.backup.id} in ${r.backup.dir}: ${r.backup.tables.map((t) => `${t.name} (${plural(t.rows, "row")}, ${formatBytes(t.bytes)} gzipped)`).join(", ")}`,
    );
  }
  if (r.backupSkipped) out.push(`No backup: ${r.backupSkipped}`);
  if (r.delegated) out.push(`Ran \`${r.delegated.command}\` in ${r.delegated.durationMs} ms`);
  for (const o of r.outcomes) {
    const mark = o.status === "applied" ? "✓" : "✗";
    const retries =
      o.retries.length > 0 ? `, ${plural(o.retries.length, "retry", "retries")} after lock timeouts` : "";
    out.push(`  ${mark} ${o.path}  ${o.durationMs} ms${retries}`);
  }
  if (r.status === "applied") out.push(`Applied ${plural(r.outcomes.length, "migration")}.`);
  return `${out.join("\n")}\n`;
}

export function renderStatus(r: StatusResult): string {
  const out = [`Migrations of ${r.database}`];
  if (r.runningElsewhere) out.push(`  a migration run is in progress: ${r.runningElsewhere}`);
  out.push("", `Applied (${r.applied.length}):`);
  for (const a of r.applied) {
    const flag =
      a.state === "edited"
        ? "  EDITED after it was applied"
        : a.state === "missing-file"
          ? "  (file not found)"
          : "";
    const backup = a.backupId ? `  backup ${a.backupId}` : "";
    out.push(`  ${a.path ?? a.name}  ${a.appliedAt}  by ${a.appliedBy}${backup}${flag}`);
  }
  out.push("", `Pending (${r.pending.length}):`);
  for (const p of r.pending)
    out.push(`  ${p.path}${r.outOfOrder.includes(p.name) ? "  (sorts before an applied migration)" : ""}`);
  return `${out.join("\n")}\n`;
}

export function renderBackups(list: readonly BackupSummary[], location: string): string {
  if (list.length === 0) return `No backups in ${location}.\n`;
  const out = [`Backups in ${location}:`];
  for (const b of list) {
    out.push(
      `  ${b.id}  ${b.createdAt}  ${plural(b.tables.length, "table")}, ${plural(b.rows, "row")}, ${formatBytes(b.bytes)} on disk  ${b.tables.join(", ")}`,
    );
    if (b.migrations.length > 0) out.push(`      before: ${b.migrations.join(", ")}`);
  }
  return `${out.join("\n")}\n`;
}

export function renderRestore(r: RestoreReport): string {
  const out = [`Restored backup ${r.id} (taken ${r.createdAt} from ${r.backupDatabase}) into ${r.database}:`];
  for (const t of r.tables) {
    out.push(
      `  ${t.ok ? "✓" : "✗"} ${t.name}  ${t.mode}, ${plural(t.rows, "row")} (expected ${t.expectedRows}), checksum ${t.ok ? "matches" : "DIFFERS"}`,
    );
    for (const n of t.notCaptured) out.push(`      not in the backup: ${n}`);
  }
  for (const fk of r.foreignKeysRestored) out.push(`  foreign key added back: ${fk}`);
  if (r.stillRecorded.length > 0) {
    out.push(
      `Note: the history still records ${r.stillRecorded.join(", ")} as applied. To run ${r.stillRecorded.length === 1 ? "it" : "them"} again, delete ${r.stillRecorded.length === 1 ? "its row" : "their rows"} from shipgate.schema_migrations.`,
    );
  }
  return `${out.join("\n")}\n`;
}

/**
 * JSON for --format json: result objects as they are, errors as { code, message, details, hint }.
 * Statement texts are left out (they may hold password literals; `summary` is masked) and so is the
 * lint report (its findings are in `findings`).
 */
export function toJson(value: unknown): string {
  return `${JSON.stringify(
    value,
    function (this: unknown, key, v: unknown) {
      if (key === "lintReport") return undefined;
      if (
        key === "text" &&
        typeof v === "string" &&
        typeof (this as { summary?: unknown }).summary === "string"
      )
        return undefined;
      if (isShipgateError(v)) return { code: v.code, message: v.message, details: v.details, hint: v.hint };
      return v;
    },
    2,
  )}\n`;
}
