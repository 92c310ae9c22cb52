/**
 * Declares `shipgate audit list` (the hash-chained audit log of the ledger: who did what to which
 * target, when, from where) and `shipgate audit verify` (recompute the chain: exit 0 intact, 1 when a
 * row was changed, removed or added outside shipgate, naming the first broken row). Both open the
 * ledger the config names ($SHIPGATE_LEDGER_URL overrides ledger.url) and close it again; with
 * `--server URL` (or $SHIPGATE_SERVER) they ask the team server instead (GET /api/audit, and
 * GET /api/audit/verify with an admin token), with the same output and exit codes.
 */
import type { Command } from "commander";
import { ExitCode, ShipgateError } from "../core/errors.js";
import type { AuditRecord, AuditVerification, LedgerStore } from "../ledger/types.js";
import { prettyOrJsonOption } from "./output.js";
import type { CliIo } from "./program.js";
import { remoteFor } from "./register-deploy.js";

/** The most entries one `audit list` prints. */
const maxLimit = 500;

function wholeNumber(value: string, option: string, min: number, max: number, example: string): number {
  const n = /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ShipgateError(
      "USAGE",
      max === Number.MAX_SAFE_INTEGER
        ? `${option} expects a whole number (${min} or more), got "${value}"`
        : `${option} expects a whole number from ${min} to ${max}, got "${value}"`,
      { hint: `Example: ${example}` },
    );
  }
  return n;
}

/** One line per entry: seq, time (UTC), action, target, environment, actor and source. */
export function renderAuditEntry(entry: AuditRecord): string {
  return [
    `#${entry.seq}`,
    `${entry.at.slice(0, 19).replace("T", " ")}Z`,
    entry.action,
    entry.target,
    ...(entry.environment ? [entry.environment] : []),
    `by ${entry.actor}${entry.source ? ` from ${entry.source}` : ""}`,
  ].join("  ");
}

/** The verdict of `audit verify`, with what to do next when the chain is broken. */
export function renderVerification(result: AuditVerification): string {
  if (result.ok) {
    return result.count === 0
      ? "audit log intact: no entries yet\n"
      : `audit log intact: ${result.count} ${result.count === 1 ? "entry" : "entries"} verified, hash chain unbroken\n`;
  }
  return [
    `audit log BROKEN at row ${result.brokenAt}: ${result.reason}`,
    `${result.count} ${result.count === 1 ? "row" : "rows"} before it verified intact; row ${result.brokenAt} and everything after it cannot be trusted.`,
    `hint: someone with access to the ledger's storage changed it outside shipgate. Inspect the row with \`shipgate audit list --after ${Math.max(0, result.brokenAt - 1)} --limit 1 --format json\`, compare it with a backup of the ledger, and keep a copy of the ledger file as evidence before anything else writes to it.`,
    "",
  ].join("\n");
}

export function registerAudit(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const globalOpts = () => program.opts<{ config?: string }>();

  async function withLedger<T>(work: (ledger: LedgerStore) => Promise<T>): Promise<T> {
    const [{ loadConfig }, { openLedger }] = await Promise.all([
      import("../config/load.js"),
      import("../ledger/index.js"),
    ]);
    const configPath = globalOpts().config;
    const loaded = loadConfig({ cwd: io.cwd, ...(configPath ? { configPath } : {}) });
    const url = io.env.SHIPGATE_LEDGER_URL || loaded.config.ledger.url; // CI sets an unset secret to ""
    const ledger = await openLedger(url, loaded.dir);
    try {
      return await work(ledger);
    } finally {
      await ledger.close();
    }
  }

  const audit = program
    .command("audit")
    .description(
      "The audit log: every deploy and its outcome, promotion, abort, rollback, approval, flag change and token change with who, when, from where, and before/after; hash-chained.",
    )
    .addHelpText(
      "after",
      `
Examples:
  shipgate audit list
  shipgate audit list --target flag:new-checkout --format json
  shipgate audit verify
  SHIPGATE_TOKEN=… shipgate --server https://shipgate.example.com audit verify    (an admin token)

The log lives in the ledger (ledger.url, or $SHIPGATE_LEDGER_URL). Each entry carries the hash of
the one before it, so a row changed, removed or added outside shipgate breaks the chain at that row.`,
    );

  audit
    .command("list")
    .description("List audit entries, oldest first: seq, time, action, target, environment, who, from where.")
    .option("--target <target>", "only entries about this target, e.g. flag:new-checkout or deploy:<id>")
    .option("--after <seq>", "only entries after this seq (to page on: the last seq shown)")
    .option("--limit <n>", `at most this many entries, 1..${maxLimit}`, "100")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate audit list                                   the first 100 entries
  shipgate audit list --after 100 --limit 500           the next page
  shipgate audit list --target flag:new-checkout        one flag's changes
  shipgate audit list --format json                     with before/after, prevHash and hash

One line per entry, e.g.
  #12  2026-03-01 10:00:05Z  flag.rollout  flag:new-checkout  production  by ada from 203.0.113.7`,
    )
    .action(async (opts: { target?: string; after?: string; limit: string; format: string }) => {
      const limit = wholeNumber(opts.limit, "--limit", 1, maxLimit, "shipgate audit list --limit 50");
      const afterSeq =
        opts.after === undefined
          ? undefined
          : wholeNumber(opts.after, "--after", 0, Number.MAX_SAFE_INTEGER, "shipgate audit list --after 100");
      if (opts.target !== undefined && opts.target.trim() === "") {
        throw new ShipgateError("USAGE", "--target is empty", {
          hint: "Name a target, e.g. shipgate audit list --target flag:new-checkout",
        });
      }
      const query = {
        limit,
        ...(afterSeq !== undefined ? { afterSeq } : {}),
        ...(opts.target !== undefined ? { target: opts.target.trim() } : {}),
      };
      const client = await remoteFor(program, io);
      const entries = client
        ? await client.audit(query)
        : await withLedger((ledger) => ledger.listAudit(query));
      if (opts.format === "json") {
        io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      } else if (entries.length === 0) {
        io.stdout.write(
          afterSeq !== undefined || opts.target !== undefined
            ? "no audit entries match\n"
            : "no audit entries yet; changes such as `shipgate flags enable` are recorded here\n",
        );
      } else {
        for (const entry of entries) io.stdout.write(`${renderAuditEntry(entry)}\n`);
        const last = entries[entries.length - 1];
        if (entries.length === limit && last) {
          io.stderr.write(
            `(${limit} shown; the next page: shipgate audit list --after ${last.seq}${opts.target ? ` --target ${opts.target.trim()}` : ""})\n`,
          );
        }
      }
      setExit(ExitCode.ok);
    });

  audit
    .command("verify")
    .description("Recompute the audit log's hash chain: exit 0 when intact, 1 naming the first broken row.")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate audit verify
  shipgate audit verify --format json      {"ok":false,"count":2,"brokenAt":3,"reason":"…"}

Exit codes: 0 intact, 1 broken (a row changed, removed or added outside shipgate), 2 usage or config error.`,
    )
    .action(async (opts: { format: string }) => {
      const client = await remoteFor(program, io);
      const result = client ? await client.verifyAudit() : await withLedger((ledger) => ledger.verifyAudit());
      io.stdout.write(
        opts.format === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderVerification(result),
      );
      setExit(result.ok ? ExitCode.ok : ExitCode.gateFailed);
    });
}
