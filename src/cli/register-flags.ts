/**
 * Declares `shipgate flags …`: create, list, show, enable, disable, rollout, kill, unkill, rules,
 * variants and archive. Each opens the ledger the config names ($SHIPGATE_LEDGER_URL overrides
 * ledger.url), acts as `defaultActor` (SHIPGATE_ACTOR, the GitHub actor, else user@host), prints one
 * line or JSON (--format, else $SHIPGATE_FORMAT, else pretty: chooseDataFormat) on stdout, and closes
 * the ledger. Every change is audited by the service, in the flag's history and in the hash-chained
 * audit log with source `cli@<host>`.
 * With `--server URL` (or $SHIPGATE_SERVER) every subcommand runs on the team server instead
 * (src/cli/remote-client.ts, the token from $SHIPGATE_TOKEN): the same output and exit codes, the
 * token's name as the actor and this machine's address as the source.
 */
import { hostname } from "node:os";
import type { Command } from "commander";
import { ShipgateError } from "../core/errors.js";
import { defaultActor } from "../core/process-identity.js";
import type {
  FlagChangeResult,
  FlagListEntry,
  FlagService,
  FlagStateInEnvironment,
} from "../flags/service.js";
import {
  type FlagAuditEntry,
  type FlagDefinition,
  type FlagEnvironmentState,
  ruleExample,
  type TargetingRule,
  type Variant,
  variantExample,
} from "../flags/types.js";
import { type DataFormat, prettyOrJsonOption } from "./output.js";
import type { CliIo } from "./program.js";
import { remoteFor } from "./register-deploy.js";
import type { RemoteClient } from "./remote-client.js";

/**
 * An audit entry's action as `flags show` prints it. Ledgers written before the rules and variants
 * actions existed hold "update" for both: the before and after states tell which it was.
 */
export function auditActionLabel(entry: FlagAuditEntry): string {
  if (entry.action !== "update") return entry.action;
  const before = entry.before as Partial<FlagEnvironmentState> | null;
  const after = entry.after as Partial<FlagEnvironmentState> | null;
  const differs = (field: "rules" | "variants") =>
    JSON.stringify(before?.[field] ?? []) !== JSON.stringify(after?.[field] ?? []);
  const changed = (["rules", "variants"] as const).filter(differs);
  return changed.length === 1 ? (changed[0] ?? "update") : "update";
}

interface FlagsSession {
  service: FlagService;
  actor: string;
  now: () => Date;
  close(): Promise<void>;
}

/** The pretty form of a flag's state in one environment: "production: on 25%", "staging: KILLED". */
export function describeState(entry: FlagStateInEnvironment): string {
  const s = entry.state;
  if (s === null) return `${entry.environment}: off`;
  const parts = [s.enabled ? "on" : "off", `${s.rollout}%`];
  if (s.rules.length > 0) parts.push(`${s.rules.length} rule${s.rules.length === 1 ? "" : "s"}`);
  if (s.variants.length > 0) parts.push(`${s.variants.length} variant${s.variants.length === 1 ? "" : "s"}`);
  if (s.killed) parts.push("KILLED");
  return `${entry.environment}: ${parts.join(" ")}`;
}

/** One line per flag: key, type, owner, removal date (OVERDUE once passed), state per environment. */
export function renderFlagLine(entry: FlagListEntry, today: string): string {
  const d = entry.definition;
  const removal =
    d.removalDate === null
      ? "no removal date"
      : `remove by ${d.removalDate}${d.removalDate < today ? " OVERDUE" : ""}`;
  const states = entry.states.map(describeState).join(", ");
  return [
    d.key,
    d.type,
    `owner ${d.owner}`,
    removal,
    ...(d.archivedAt ? [`ARCHIVED ${d.archivedAt.slice(0, 10)}`] : []),
    ...(states ? [states] : []),
  ].join("  ");
}

function renderChange(result: FlagChangeResult): string {
  if (result.environment === null) {
    const d = result.after as FlagDefinition;
    return result.action === "create"
      ? `created ${d.key} (${d.type}, owner ${d.owner}${d.removalDate ? `, remove by ${d.removalDate}` : ""}); it is off everywhere until enabled\n`
      : `archived ${d.key}: off everywhere, read-only; remove it from code\n`;
  }
  const state = result.after as FlagEnvironmentState;
  const line = describeState({ environment: result.environment, state });
  const note = stateNote(result.key, result.action, state);
  return `${result.key} ${line}${result.changed ? "" : " (unchanged)"}\n${note ? `  ${note}\n` : ""}`;
}

/**
 * What a change leaves unsaid: an enabled flag at 0% without rules reaches nobody, and a rollout,
 * rules or variants on a disabled flag take effect only once it is enabled. Null when the line says it all.
 */
export function stateNote(
  key: string,
  action: FlagChangeResult["action"],
  state: FlagEnvironmentState,
): string | null {
  if (state.killed) return null; // "KILLED" on the line says it: nobody gets it until unkill
  const env = state.environment;
  if (state.enabled && state.rollout === 0 && state.rules.length === 0 && action !== "disable") {
    return `nobody gets it yet (rollout 0%): shipgate flags rollout ${key} <pct> --environment ${env}`;
  }
  if (!state.enabled && ["rollout", "rules", "variants", "update"].includes(action)) {
    return `it takes effect once enabled: shipgate flags enable ${key} --environment ${env}`;
  }
  return null;
}

function parseJsonOption(text: string, what: string, example: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ShipgateError("USAGE", `--json is not valid JSON: ${(error as Error).message}`, {
      hint: `Pass the ${what} as a JSON array in single quotes, e.g. --json '${example}'`,
    });
  }
}

function parsePercent(value: string, key: string): number {
  const match = /^(\d{1,3})%?$/.exec(value.trim());
  const pct = match ? Number(match[1]) : Number.NaN;
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) {
    throw new ShipgateError("USAGE", `rollout must be a whole percentage from 0 to 100, got "${value}"`, {
      hint: `Example: shipgate flags rollout ${key} 25 --environment production`,
    });
  }
  return pct;
}

export function registerFlags(program: Command, io: CliIo, _setExit: (code: number) => void): void {
  const globalOpts = () => program.opts<{ config?: string }>();

  async function open(): Promise<FlagsSession> {
    const [{ loadConfig }, { openLedger }, { createFlagService }] = await Promise.all([
      import("../config/load.js"),
      import("../ledger/index.js"),
      import("../flags/service.js"),
    ]);
    const configPath = globalOpts().config;
    const loaded = loadConfig({ cwd: io.cwd, ...(configPath ? { configPath } : {}) });
    const ledgerUrl = io.env.SHIPGATE_LEDGER_URL || loaded.config.ledger.url; // CI sets an unset secret to ""
    const ledger = await openLedger(ledgerUrl, loaded.dir);
    const now = () => new Date();
    return {
      service: createFlagService({
        ledger,
        environments: Object.keys(loaded.config.environments),
        now,
        source: `cli@${hostname()}`, // where the audit log records the change came from
      }),
      actor: defaultActor(io.env),
      now,
      close: () => ledger.close(),
    };
  }

  async function withSession<T>(work: (session: FlagsSession) => Promise<T>): Promise<T> {
    const session = await open();
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  /** The command's format, which the program resolved before the action (chooseDataFormat). */
  const formatOf = (opts: { format?: string }): DataFormat => (opts.format === "json" ? "json" : "pretty");

  function printChange(result: FlagChangeResult, format: DataFormat): void {
    io.stdout.write(format === "json" ? `${JSON.stringify(result, null, 2)}\n` : renderChange(result));
  }

  /** The team server's client when --server / $SHIPGATE_SERVER is set, else null (the local ledger). */
  const remote = (): Promise<RemoteClient | null> => remoteFor(program, io);

  /** One PATCH on the server, answered with the one change it made. */
  async function remoteChange(
    client: RemoteClient,
    environment: string,
    key: string,
    body: Parameters<RemoteClient["changeFlag"]>[2],
  ): Promise<FlagChangeResult> {
    const { changes } = await client.changeFlag(environment, key, body);
    const change = changes[0];
    if (change === undefined) {
      throw new ShipgateError(
        "INTERNAL",
        `the team server answered the change of "${key}" without a result`,
        {
          hint: `Is ${client.baseUrl} a shipgate server (shipgate serve) of the same version?`,
        },
      );
    }
    return change;
  }

  const flags = program
    .command("flags")
    .description(
      "Feature flags: create with an owner and a removal date, roll out per environment, kill, archive; every change audited.",
    )
    .addHelpText(
      "after",
      `
Examples:
  shipgate flags create new-checkout --owner team-payments --type release --removal-date 2027-06-30 --description "One-page checkout"
  shipgate flags enable new-checkout --environment production
  shipgate flags rollout new-checkout 25 --environment production
  shipgate flags kill new-checkout --environment production
  shipgate flags list --environment production
  shipgate flags show new-checkout --format json

  SHIPGATE_TOKEN=… shipgate --server https://shipgate.example.com flags enable new-checkout --environment production

Flags live in the ledger (ledger.url, or $SHIPGATE_LEDGER_URL). Changes are recorded with who
(SHIPGATE_ACTOR, else the GitHub actor, else user@host), when, and the state before and after.
With --server (or SHIPGATE_SERVER) they run on the team server as the token's name: enable,
disable, rollout, kill, unkill, rules and variants need a deployer token (or the role
environments.<env>.access.flags names), create and archive an admin token.
\`shipgate check\` fails on flags past their removal date and archived flags still used in code.`,
    );

  flags
    .command("create")
    .description("Create a flag (off in every environment until enabled).")
    .argument("<key>", "letters, digits, '.', '_' and '-', starting with a letter, e.g. new-checkout")
    .requiredOption("--owner <owner>", "who answers for the flag: a person or team")
    .option("--description <text>", "what the flag switches", "")
    .option("--type <type>", "release | kill-switch | ops | experiment | permission", "release")
    .option(
      "--removal-date <date>",
      "YYYY-MM-DD by which the flag leaves the code (required for release flags)",
    )
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate flags create new-checkout --owner team-payments --removal-date 2027-06-30 --description "One-page checkout"
  shipgate flags create payments-kill --owner team-payments --type kill-switch
  shipgate flags create search-v2 --owner alice --type experiment --removal-date 2027-03-01

Release flags need a removal date; kill-switch, ops and permission flags may live without one.
Exit codes: 0 created, 1 the key exists (keys are never reused), 2 invalid input.`,
    )
    .action(
      async (
        key: string,
        opts: { owner: string; description: string; type: string; removalDate?: string; format?: string },
      ) => {
        const format = formatOf(opts);
        const client = await remote();
        if (client) {
          printChange(
            await client.createFlag({
              key,
              owner: opts.owner,
              description: opts.description,
              type: opts.type,
              removalDate: opts.removalDate ?? null,
            }),
            format,
          );
          return;
        }
        const result = await withSession((s) =>
          s.service.createFlag(
            {
              key,
              owner: opts.owner,
              description: opts.description,
              type: opts.type,
              removalDate: opts.removalDate ?? null,
            },
            s.actor,
          ),
        );
        printChange(result, format);
      },
    );

  flags
    .command("list")
    .description("List flags: key, type, owner, removal date (OVERDUE once passed), state per environment.")
    .option("--environment <name>", "only this environment's state (default: every environment)")
    .option("--archived", "include archived flags")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate flags list
  shipgate flags list --environment production
  shipgate flags list --format json

One line per flag, e.g.
  new-checkout  release  owner team-payments  remove by 2027-06-30  staging: on 100%, production: on 25%`,
    )
    .action(async (opts: { environment?: string; archived?: boolean; format?: string }) => {
      const format = formatOf(opts);
      const client = await remote();
      const { entries, today } = client
        ? {
            entries: await client.listFlags({
              ...(opts.environment !== undefined ? { environment: opts.environment } : {}),
              archived: opts.archived === true,
            }),
            today: new Date().toISOString().slice(0, 10),
          }
        : await withSession(async (s) => ({
            entries: await s.service.list(opts.environment, { includeArchived: opts.archived === true }),
            today: s.now().toISOString().slice(0, 10),
          }));
      if (format === "json") {
        io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        return;
      }
      if (entries.length === 0) {
        io.stdout.write(
          "no flags yet; create one: shipgate flags create <key> --owner <team> --removal-date YYYY-MM-DD\n",
        );
        return;
      }
      for (const entry of entries) io.stdout.write(`${renderFlagLine(entry, today)}\n`);
    });

  flags
    .command("show")
    .description("Show a flag: its definition, its state in every environment and its latest audit entries.")
    .argument("<key>", "the flag")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate flags show new-checkout
  shipgate flags show new-checkout --format json     audit entries with their before and after`,
    )
    .action(async (key: string, opts: { format?: string }) => {
      const format = formatOf(opts);
      const client = await remote();
      const { details, today } = client
        ? { details: await client.showFlag(key), today: new Date().toISOString().slice(0, 10) }
        : await withSession(async (s) => ({
            details: await s.service.show(key),
            today: s.now().toISOString().slice(0, 10),
          }));
      if (format === "json") {
        io.stdout.write(`${JSON.stringify(details, null, 2)}\n`);
        return;
      }
      const d = details.definition;
      const lines = [
        renderFlagLine({ definition: d, states: [] }, today),
        ...(d.description ? [`  ${d.description}`] : []),
        `  created ${d.createdAt.slice(0, 19).replace("T", " ")} UTC by ${d.createdBy}`,
        ...details.states.map((s) => `  ${describeState(s)}`),
        "  audit (newest first):",
        ...details.audit.map(
          (a) =>
            `    ${a.at.slice(0, 19).replace("T", " ")}  ${auditActionLabel(a)}${a.environment ? ` ${a.environment}` : ""}  by ${a.actor}`,
        ),
      ];
      io.stdout.write(`${lines.join("\n")}\n`);
    });

  /** enable, disable, kill, unkill: `<key> --environment <name>`. */
  const simple = [
    {
      name: "enable",
      text: "Turn a flag on in an environment (its rollout and rules then decide who gets it).",
    },
    { name: "disable", text: "Turn a flag off in an environment." },
    { name: "kill", text: "Kill switch: force a flag off in an environment, whatever else it says." },
    { name: "unkill", text: "Release the kill switch of a flag in an environment." },
  ] as const;
  const patchOf: Record<(typeof simple)[number]["name"], { enabled?: boolean; killed?: boolean }> = {
    enable: { enabled: true },
    disable: { enabled: false },
    kill: { killed: true },
    unkill: { killed: false },
  };
  for (const { name, text } of simple) {
    flags
      .command(name)
      .description(text)
      .argument("<key>", "the flag")
      .requiredOption("--environment <name>", "an environment declared in shipgate.yaml")
      .addOption(prettyOrJsonOption())
      .addHelpText(
        "after",
        `
Examples:
  shipgate flags ${name} new-checkout --environment production
  SHIPGATE_ACTOR=alice shipgate flags ${name} new-checkout --environment staging`,
      )
      .action(async (key: string, opts: { environment: string; format?: string }) => {
        const format = formatOf(opts);
        const client = await remote();
        const result = client
          ? await remoteChange(client, opts.environment, key, patchOf[name])
          : await withSession((s) => s.service[name](key, opts.environment, s.actor));
        printChange(result, format);
      });
  }

  flags
    .command("rollout")
    .description(
      "Set the percentage of users (by a stable hash of their id) who get a flag in an environment.",
    )
    .argument("<key>", "the flag")
    .argument("<pct>", "a whole percentage 0..100")
    .requiredOption("--environment <name>", "an environment declared in shipgate.yaml")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate flags rollout new-checkout 5 --environment production
  shipgate flags rollout new-checkout 100 --environment staging

The flag must also be enabled (shipgate flags enable). The same user always lands in the same bucket.`,
    )
    .action(async (key: string, pct: string, opts: { environment: string; format?: string }) => {
      const format = formatOf(opts);
      const percent = parsePercent(pct, key);
      const client = await remote();
      const result = client
        ? await remoteChange(client, opts.environment, key, { rollout: percent })
        : await withSession((s) => s.service.setRollout(key, opts.environment, percent, s.actor));
      printChange(result, format);
    });

  flags
    .command("rules")
    .description("Replace a flag's targeting rules in an environment (first match wins, before the rollout).")
    .argument("<key>", "the flag")
    .requiredOption("--environment <name>", "an environment declared in shipgate.yaml")
    .requiredOption("--json <rules>", "the rules, a JSON array ('[]' removes them)")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate flags rules new-checkout --environment production --json '${ruleExample}'
  shipgate flags rules new-checkout --environment production --json '[{"attribute":"appVersion","operator":"semver_gte","values":["2.4.0"],"serve":{"enabled":true}}]'
  shipgate flags rules new-checkout --environment production --json '[]'

Operators: in, not_in, eq, neq, gt, gte, lt, lte, semver_eq, semver_gt, semver_gte, semver_lt, semver_lte.`,
    )
    .action(async (key: string, opts: { environment: string; json: string; format?: string }) => {
      const format = formatOf(opts);
      const rules = parseJsonOption(opts.json, "targeting rules", ruleExample);
      const client = await remote();
      const result = client
        ? // The server validates the rules with the service's schema (400 with details).
          await remoteChange(client, opts.environment, key, { rules: rules as TargetingRule[] })
        : await withSession((s) => s.service.setRules(key, opts.environment, rules, s.actor));
      printChange(result, format);
    });

  flags
    .command("variants")
    .description("Replace a flag's variants in an environment (weights are relative; payloads any JSON).")
    .argument("<key>", "the flag")
    .requiredOption("--environment <name>", "an environment declared in shipgate.yaml")
    .requiredOption("--json <variants>", "the variants, a JSON array ('[]' removes them)")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate flags variants checkout-button --environment production --json '${variantExample}'
  shipgate flags variants checkout-button --environment production --json '[]'`,
    )
    .action(async (key: string, opts: { environment: string; json: string; format?: string }) => {
      const format = formatOf(opts);
      const variants = parseJsonOption(opts.json, "variants", variantExample);
      const client = await remote();
      const result = client
        ? await remoteChange(client, opts.environment, key, { variants: variants as Variant[] })
        : await withSession((s) => s.service.setVariants(key, opts.environment, variants, s.actor));
      printChange(result, format);
    });

  flags
    .command("archive")
    .description(
      "Archive a flag: off everywhere and read-only; `shipgate check` then fails while code still uses it.",
    )
    .argument("<key>", "the flag")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate flags archive new-checkout

Remove the flag from code first: an archived flag still referenced fails \`shipgate check\`.`,
    )
    .action(async (key: string, opts: { format?: string }) => {
      const format = formatOf(opts);
      const client = await remote();
      const result = client
        ? await client.archiveFlag(key)
        : await withSession((s) => s.service.archive(key, s.actor));
      printChange(result, format);
    });
}
