/**
 * The feature-flag use cases behind `shipgate flags …`: create, enable/disable, rollout, kill/unkill,
 * rules, variants, archive, show and list, over the ledger's flag port. Every change is validated
 * here (key, owner, removal date, declared environment, not archived, rules serving only variants the
 * flag has) and written through
 * `ledger.applyFlagChange` with an audit entry holding who, when, and the definition or environment
 * state before and after. A flag's first change in an environment starts from `defaultFlagState`.
 *
 * Every change is also appended to the ledger's hash-chained audit log (`ledger.appendAudit`:
 * action `flag.<verb>`, target `flag:<key>`, the actor and the source it came from). The ledger
 * port has no transaction spanning applyFlagChange and appendAudit, so the append follows the
 * change at once; if it fails, the error says the change was applied but not chained.
 */
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import semver from "semver";
import { z } from "zod";
import { didYouMean } from "../core/closest-name.js";
import { ShipgateError } from "../core/errors.js";
import type { AuditEvent, FlagChange, LedgerStore } from "../ledger/types.js";
import {
  type FlagAuditEntry,
  type FlagDefinition,
  type FlagEnvironmentState,
  type FlagType,
  flagTypes,
  ruleExample,
  ruleOperators,
  type TargetingRule,
  type Variant,
  variantExample,
} from "./types.js";

export const flagKeyPattern = /^[A-Za-z][A-Za-z0-9._-]{0,99}$/;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

export interface FlagServiceOptions {
  ledger: LedgerStore;
  /** The environments declared in shipgate.yaml; changes and lists name one of them. */
  environments: readonly string[];
  /** Tests: a fixed clock. */
  now?: () => Date;
  /** Tests: predictable audit ids. */
  newId?: () => string;
  /**
   * Where changes come from, recorded in the audit log when a call names none (e.g. "cli@host");
   * default null. The server passes the request's address per call instead (see FlagActor).
   */
  source?: string | null;
}

/**
 * Who changes a flag: a name (the change comes from the service's `source`), or a name and the
 * source of this one call — the server passes the principal's name and the request's address, so
 * one service serves every request.
 */
export type FlagActor = string | { name: string; source: string | null };

/** The verbs of the audit log's flag actions (`flag.<verb>`). */
export const flagAuditVerbs = [
  "create",
  "enable",
  "disable",
  "rollout",
  "kill",
  "unkill",
  "archive",
  "rules",
  "variants",
] as const;
export type FlagAuditVerb = (typeof flagAuditVerbs)[number];

/** The audit log's target for a flag: `flag:<key>`. */
export function flagAuditTarget(key: string): string {
  return `flag:${key}`;
}

export interface CreateFlagInput {
  key: string;
  description?: string;
  owner: string;
  /** One of flagTypes; validated. */
  type: string;
  /** YYYY-MM-DD; required for release flags. */
  removalDate?: string | null;
}

export interface FlagChangeResult {
  key: string;
  /** null for a definition change (create, archive). */
  environment: string | null;
  action: FlagAuditEntry["action"];
  /** False when the flag already was in the requested state: nothing was written or audited. */
  changed: boolean;
  /** The definition (create, archive) or the environment state (null: never configured there). */
  before: FlagDefinition | FlagEnvironmentState | null;
  after: FlagDefinition | FlagEnvironmentState;
  /** The flag revision after the change; null when nothing changed. */
  revision: number | null;
}

/** A flag's state in one environment; null when it was never changed there (it is off). */
export interface FlagStateInEnvironment {
  environment: string;
  state: FlagEnvironmentState | null;
}

export interface FlagListEntry {
  definition: FlagDefinition;
  states: FlagStateInEnvironment[];
}

export interface FlagDetails extends FlagListEntry {
  /** The newest audit entries first. */
  audit: FlagAuditEntry[];
}

/**
 * Several changes of a flag in one environment at once (the team API's PATCH): any of the fields,
 * each as the single-change methods take it.
 */
export interface FlagStatePatch {
  enabled?: boolean | undefined;
  /** An integer 0..100. */
  rollout?: number | undefined;
  killed?: boolean | undefined;
  /** Parsed JSON, validated as TargetingRule[]. */
  rules?: unknown;
  /** Parsed JSON, validated as Variant[]. */
  variants?: unknown;
}

export interface FlagService {
  createFlag(input: CreateFlagInput, actor: FlagActor): Promise<FlagChangeResult>;
  enable(key: string, environment: string, actor: FlagActor): Promise<FlagChangeResult>;
  disable(key: string, environment: string, actor: FlagActor): Promise<FlagChangeResult>;
  /** `percent`: an integer 0..100. */
  setRollout(key: string, environment: string, percent: number, actor: FlagActor): Promise<FlagChangeResult>;
  kill(key: string, environment: string, actor: FlagActor): Promise<FlagChangeResult>;
  unkill(key: string, environment: string, actor: FlagActor): Promise<FlagChangeResult>;
  archive(key: string, actor: FlagActor): Promise<FlagChangeResult>;
  /** `rules`: parsed JSON, validated as TargetingRule[]; a served variant must be one the flag has. */
  setRules(key: string, environment: string, rules: unknown, actor: FlagActor): Promise<FlagChangeResult>;
  /** `variants`: parsed JSON, validated as Variant[]; every variant a rule serves must stay. */
  setVariants(
    key: string,
    environment: string,
    variants: unknown,
    actor: FlagActor,
  ): Promise<FlagChangeResult>;
  /**
   * Applies every field of `patch`, validated as a whole first against the state it leads to (a rule
   * may serve a variant the same patch adds), so that a refused patch changes nothing. Applied
   * narrowing first, widening last: kill, disable, rules, variants, rollout, enable, unkill; one
   * audited change per field, in that order.
   */
  patch(
    key: string,
    environment: string,
    patch: FlagStatePatch,
    actor: FlagActor,
  ): Promise<FlagChangeResult[]>;
  show(key: string, options?: { auditLimit?: number }): Promise<FlagDetails>;
  /** Flags by key with their state in `environment` (default: every declared environment). */
  list(environment?: string, options?: { includeArchived?: boolean }): Promise<FlagListEntry[]>;
}

/** The state a flag has in an environment before its first change there: off. */
export function defaultFlagState(
  flagKey: string,
  environment: string,
  at: string,
  actor: string,
): FlagEnvironmentState {
  return {
    flagKey,
    environment,
    enabled: false,
    rollout: 0,
    rules: [],
    variants: [],
    killed: false,
    stickiness: "userId",
    updatedAt: at,
    updatedBy: actor,
    rolloutChangedAt: at,
  };
}

/** Operators that compare with one value (in and not_in take a list). */
const singleValueOperators: ReadonlySet<string> = new Set(
  ruleOperators.filter((op) => op !== "in" && op !== "not_in"),
);
const numericOperators: ReadonlySet<string> = new Set(["gt", "gte", "lt", "lte"]);

/**
 * A value a rule could never match with is refused here rather than stored: evaluation treats a
 * non-number (gt…lte) or a non-version (semver_*) as "no match", and uses only the first value of
 * the comparison operators, so such a rule would silently serve nobody or ignore values.
 */
function checkRuleValues(
  rule: { operator: string; values: (string | number)[] },
  ctx: z.RefinementCtx,
): void {
  const { operator, values } = rule;
  if (singleValueOperators.has(operator) && values.length > 1) {
    ctx.addIssue({
      code: "custom",
      path: ["values"],
      message: `${operator} compares with one value, got ${values.length}; use "in" (or "not_in") to match any of several`,
    });
  }
  const first = values[0];
  if (first === undefined) return;
  if (numericOperators.has(operator)) {
    const text = String(first).trim();
    if (text === "" || !Number.isFinite(Number(text))) {
      ctx.addIssue({
        code: "custom",
        path: ["values", 0],
        message: `${operator} compares numbers, got ${JSON.stringify(first)}; use eq/in for text`,
      });
    }
  } else if (operator.startsWith("semver_") && semver.valid(String(first)) === null) {
    ctx.addIssue({
      code: "custom",
      path: ["values", 0],
      message: `${operator} compares versions, got ${JSON.stringify(first)}: expected a semantic version such as 2.4.0`,
    });
  }
}

const targetingRuleSchema = z
  .object({
    attribute: z.string().min(1, "expected a context attribute such as userId or country"),
    operator: z.enum(ruleOperators),
    values: z.array(z.union([z.string(), z.number()])).min(1, "expected at least one value"),
    serve: z.object({ enabled: z.boolean(), variant: z.string().min(1).optional() }).strict(),
  })
  .strict()
  .superRefine(checkRuleValues);

const variantSchema = z
  .object({
    name: z.string().min(1, "expected a variant name"),
    weight: z.number().int().min(0),
    payload: z.unknown().optional(),
  })
  .strict();

export const targetingRulesSchema = z.array(targetingRuleSchema);
export const variantsSchema = z
  .array(variantSchema)
  .refine((vs) => new Set(vs.map((v) => v.name)).size === vs.length, {
    message: "variant names must be unique",
  })
  // With every weight 0 no variant could ever be picked: the flag would serve "disabled" while on.
  .refine((vs) => vs.length === 0 || vs.some((v) => v.weight > 0), {
    message: "at least one variant needs a weight above 0 (weights are relative, e.g. 50 and 50)",
  });

/** The UTC calendar day of a time, YYYY-MM-DD. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Whether `value` is a real YYYY-MM-DD calendar date. */
export function isCalendarDate(value: string): boolean {
  if (!datePattern.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && utcDay(parsed) === value;
}

/** The one result of a patch with one field. */
function only(results: FlagChangeResult[]): FlagChangeResult {
  const [result] = results;
  if (result === undefined || results.length !== 1) {
    throw new ShipgateError("INTERNAL", `expected one flag change, got ${results.length}`);
  }
  return result;
}

function usage(message: string, hint: string, details?: string[]): ShipgateError {
  return new ShipgateError("USAGE", message, { hint, ...(details ? { details } : {}) });
}

function zodDetails(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const at = issue.path
      .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
      .join("")
      .replace(/^\./, "");
    return `${at || "(root)"}: ${issue.message}`;
  });
}

function parseRules(rules: unknown): TargetingRule[] {
  const parsed = targetingRulesSchema.safeParse(rules);
  if (!parsed.success) {
    throw usage(
      "invalid targeting rules",
      `Pass a JSON array such as '${ruleExample}'; operators: ${ruleOperators.join(", ")}.`,
      zodDetails(parsed.error),
    );
  }
  return parsed.data as TargetingRule[];
}

function parseVariants(variants: unknown): Variant[] {
  const parsed = variantsSchema.safeParse(variants);
  if (!parsed.success) {
    throw usage(
      "invalid variants",
      `Pass a JSON array such as '${variantExample}'.`,
      zodDetails(parsed.error),
    );
  }
  return parsed.data as Variant[];
}

function checkRollout(key: string, environment: string, percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw usage(
      `rollout must be a whole percentage from 0 to 100, got ${percent}`,
      `Example: shipgate flags rollout ${key} 25 --environment ${environment}`,
    );
  }
}

/**
 * Refuses rules that serve a variant the flag will not have: evaluation would ignore the rule's
 * variant and serve the weighted split instead. `given` says which of the two the change sets, so
 * the hint names what to change.
 */
function checkServedVariants(
  key: string,
  environment: string,
  rules: readonly TargetingRule[],
  variants: readonly Variant[],
  given: { rules: boolean; variants: boolean },
): void {
  const names = new Set(variants.map((v) => v.name));
  const missing = rules.flatMap((rule, index) => {
    const served = rule.serve.variant;
    return served !== undefined && !names.has(served) ? [{ index, served }] : [];
  });
  if (missing.length === 0) return;
  const absent = [...new Set(missing.map((m) => m.served))];
  const quoted = absent.map((name) => `"${name}"`).join(", ");
  const have = variants.length > 0 ? variants.map((v) => v.name).join(", ") : "none";
  const them = absent.length === 1 ? "it" : "them";
  const hint =
    given.variants && !given.rules
      ? `Keep ${quoted} among the variants, or first change the rules that serve ${them}: \`shipgate flags rules ${key} --environment ${environment} --json '[…]'\`.`
      : given.rules && !given.variants
        ? `${variants.length > 0 ? `Serve one of the flag's variants (${have}), or first add ${quoted}` : `The flag has no variants in ${environment}: first add ${quoted}`}: \`shipgate flags variants ${key} --environment ${environment} --json '[…]'\` (the list replaces its variants).`
        : `Add ${quoted} to the variants, or serve one of them (${have}).`;
  throw usage(
    `targeting rules serve ${absent.length === 1 ? "a variant" : "variants"} that flag "${key}" ${given.variants ? "would not have" : "does not have"} in ${environment}: ${quoted}`,
    hint,
    missing.map(
      ({ index, served }) => `rules[${index}].serve.variant: no variant "${served}" (variants: ${have})`,
    ),
  );
}

/** The state fields a change can alter (bookkeeping fields excluded), to tell a no-op. */
function essence(
  state: FlagEnvironmentState,
): Omit<FlagEnvironmentState, "updatedAt" | "updatedBy" | "rolloutChangedAt"> {
  const { updatedAt: _a, updatedBy: _b, rolloutChangedAt: _c, ...rest } = state;
  return rest;
}

export function createFlagService(options: FlagServiceOptions): FlagService {
  const { ledger, environments } = options;
  const now = options.now ?? (() => new Date());
  const newId = options.newId ?? randomUUID;
  const defaultSource = options.source ?? null;

  /** A removal date for hints: 30 days from now, so the example is one the service accepts. */
  function exampleRemovalDate(): string {
    return utcDay(new Date(now().getTime() + 30 * 86_400_000));
  }

  function who(actor: FlagActor): { name: string; source: string | null } {
    return typeof actor === "string" ? { name: actor, source: defaultSource } : actor;
  }

  /** Applies the change, then appends it to the hash-chained audit log (no shared transaction). */
  async function applyAudited(
    change: FlagChange,
    verb: FlagAuditVerb,
    by: { name: string; source: string | null },
  ): Promise<number> {
    const revision = await ledger.applyFlagChange(change);
    const { audit } = change;
    const event: AuditEvent = {
      actor: by.name,
      action: `flag.${verb}`,
      target: flagAuditTarget(audit.flagKey),
      environment: audit.environment,
      source: by.source,
      before: audit.before,
      after: audit.after,
      at: audit.at,
    };
    try {
      await ledger.appendAudit(event);
    } catch (error) {
      throw new ShipgateError(
        "LEDGER_FAILED",
        `flag "${audit.flagKey}" was changed (${event.action}, revision ${revision}) but the audit log could not record it: ${(error as Error).message}`,
        {
          hint: "Check the ledger (`shipgate audit verify`); the flag's own history (`shipgate flags show`) has the change.",
          cause: error,
        },
      );
    }
    return revision;
  }

  function checkEnvironment(environment: string): void {
    if (environments.includes(environment)) return;
    throw usage(
      `environment "${environment}" is not declared in shipgate.yaml`,
      environments.length > 0
        ? `${didYouMean(environment, environments)}Declared environments: ${environments.join(", ")}. Pass one with --environment.`
        : `Declare it under environments: in shipgate.yaml, e.g.\n  environments:\n    ${environment}: {}`,
    );
  }

  async function existing(key: string): Promise<FlagDefinition> {
    const flag = await ledger.getFlag(key);
    if (!flag) {
      throw new ShipgateError("NOT_FOUND", `no flag "${key}"`, {
        hint: `Run \`shipgate flags list\` to see the flags, or create it: shipgate flags create ${key} --owner <team> --type release --removal-date YYYY-MM-DD`,
      });
    }
    return flag;
  }

  async function changeable(key: string): Promise<FlagDefinition> {
    const flag = await existing(key);
    if (flag.archivedAt !== null) {
      throw new ShipgateError(
        "CONFLICT",
        `flag "${key}" is archived (since ${flag.archivedAt.slice(0, 10)}) and can no longer be changed`,
        {
          hint: `Archived flags are off everywhere and read-only. Remove ${key} from code, or create a new flag: shipgate flags create <new-key> --owner <team> --type <type>`,
        },
      );
    }
    return flag;
  }

  /** Applies `update` to the flag's state in the environment (default state first), audited. */
  async function changeState(
    key: string,
    environment: string,
    action: FlagAuditVerb & FlagAuditEntry["action"],
    by: FlagActor,
    update: (state: FlagEnvironmentState) => FlagEnvironmentState,
  ): Promise<FlagChangeResult> {
    const { name: actor } = who(by);
    checkEnvironment(environment);
    await changeable(key);
    const at = now().toISOString();
    const before = await ledger.getFlagState(key, environment);
    const base = before ?? defaultFlagState(key, environment, at, actor);
    const next = update(base);
    if (isDeepStrictEqual(essence(next), essence(base))) {
      return { key, environment, action, changed: false, before, after: base, revision: null };
    }
    const after: FlagEnvironmentState = {
      ...next,
      updatedAt: at,
      updatedBy: actor,
      rolloutChangedAt: before === null || next.rollout !== base.rollout ? at : base.rolloutChangedAt,
    };
    const revision = await applyAudited(
      { state: after, audit: { id: newId(), flagKey: key, environment, action, actor, at, before, after } },
      action,
      who(by),
    );
    return { key, environment, action, changed: true, before, after, revision };
  }

  /** Validates the whole patch against the state it leads to, then applies it narrowing first. */
  async function patch(
    key: string,
    environment: string,
    change: FlagStatePatch,
    by: FlagActor,
  ): Promise<FlagChangeResult[]> {
    const rules = change.rules === undefined ? undefined : parseRules(change.rules);
    const variants = change.variants === undefined ? undefined : parseVariants(change.variants);
    const { rollout, enabled, killed } = change;
    if (rollout !== undefined) checkRollout(key, environment, rollout);
    checkEnvironment(environment);
    await changeable(key);
    if (rules !== undefined || variants !== undefined) {
      const current = await ledger.getFlagState(key, environment);
      checkServedVariants(
        key,
        environment,
        rules ?? current?.rules ?? [],
        variants ?? current?.variants ?? [],
        {
          rules: rules !== undefined,
          variants: variants !== undefined,
        },
      );
    }
    // Narrowing first, widening last, so that no moment in between serves the flag to more people
    // than before or after. Between the rules and the variants, a rule may name a variant about to
    // be added: evaluation serves the weighted split for it until then.
    type Update = (state: FlagEnvironmentState) => FlagEnvironmentState;
    const steps: [FlagAuditVerb & FlagAuditEntry["action"], Update | false][] = [
      ["kill", killed === true && ((s) => ({ ...s, killed: true }))],
      ["disable", enabled === false && ((s) => ({ ...s, enabled: false }))],
      ["rules", rules !== undefined && ((s) => ({ ...s, rules }))],
      ["variants", variants !== undefined && ((s) => ({ ...s, variants }))],
      ["rollout", rollout !== undefined && ((s) => ({ ...s, rollout }))],
      ["enable", enabled === true && ((s) => ({ ...s, enabled: true }))],
      ["unkill", killed === false && ((s) => ({ ...s, killed: false }))],
    ];
    const results: FlagChangeResult[] = [];
    for (const [action, update] of steps) {
      if (update) results.push(await changeState(key, environment, action, by, update));
    }
    return results;
  }

  async function statesOf(key: string, envs: readonly string[]): Promise<FlagStateInEnvironment[]> {
    return await Promise.all(
      envs.map(async (environment) => ({ environment, state: await ledger.getFlagState(key, environment) })),
    );
  }

  return {
    async createFlag(input, by) {
      const actor = who(by).name;
      const key = input.key.trim();
      if (!flagKeyPattern.test(key)) {
        throw usage(
          `invalid flag key "${input.key}"`,
          "A key starts with a letter and holds letters, digits, '.', '_' and '-' (at most 100 characters), e.g. new-checkout.",
        );
      }
      const owner = input.owner?.trim() ?? "";
      if (owner === "") {
        throw usage(
          `flag "${key}" needs an owner`,
          `Name who answers for it: shipgate flags create ${key} --owner team-payments …`,
        );
      }
      if (!(flagTypes as readonly string[]).includes(input.type)) {
        throw usage(`unknown flag type "${input.type}"`, `Use --type ${flagTypes.join("|")}.`);
      }
      const type = input.type as FlagType;
      const removalDate = input.removalDate?.trim() || null;
      const today = utcDay(now());
      if (removalDate === null && type === "release") {
        throw usage(
          `release flag "${key}" needs a removal date`,
          `Release flags must be removed once rolled out: add --removal-date YYYY-MM-DD (e.g. --removal-date ${exampleRemovalDate()}), or use --type kill-switch|ops|permission for a permanent flag.`,
        );
      }
      if (removalDate !== null) {
        if (!isCalendarDate(removalDate)) {
          throw usage(
            `invalid removal date "${removalDate}"`,
            `Write the date as YYYY-MM-DD, e.g. --removal-date ${exampleRemovalDate()}.`,
          );
        }
        if (removalDate < today) {
          throw usage(
            `removal date ${removalDate} is in the past (today is ${today} UTC)`,
            "Pick a date from today on, when the flag should be gone from code.",
          );
        }
      }
      const found = await ledger.getFlag(key);
      if (found) {
        throw new ShipgateError(
          "CONFLICT",
          `flag "${key}" already exists${found.archivedAt ? " (archived)" : ""}`,
          {
            hint: `Keys are never reused. See it with \`shipgate flags show ${key}\`, or pick another key.`,
          },
        );
      }
      const at = now().toISOString();
      const definition: FlagDefinition = {
        key,
        description: input.description?.trim() ?? "",
        owner,
        type,
        removalDate,
        createdAt: at,
        createdBy: actor,
        archivedAt: null,
      };
      const revision = await applyAudited(
        {
          definition,
          audit: {
            id: newId(),
            flagKey: key,
            environment: null,
            action: "create",
            actor,
            at,
            before: null,
            after: definition,
          },
        },
        "create",
        who(by),
      );
      return {
        key,
        environment: null,
        action: "create",
        changed: true,
        before: null,
        after: definition,
        revision,
      };
    },

    enable: async (key, environment, by) => only(await patch(key, environment, { enabled: true }, by)),
    disable: async (key, environment, by) => only(await patch(key, environment, { enabled: false }, by)),
    kill: async (key, environment, by) => only(await patch(key, environment, { killed: true }, by)),
    unkill: async (key, environment, by) => only(await patch(key, environment, { killed: false }, by)),
    setRollout: async (key, environment, rollout, by) => only(await patch(key, environment, { rollout }, by)),
    setRules: async (key, environment, rules, by) => only(await patch(key, environment, { rules }, by)),
    setVariants: async (key, environment, variants, by) =>
      only(await patch(key, environment, { variants }, by)),
    patch,

    async archive(key, by) {
      const actor = who(by).name;
      const before = await changeable(key);
      const at = now().toISOString();
      const after: FlagDefinition = { ...before, archivedAt: at };
      const revision = await applyAudited(
        {
          definition: after,
          audit: {
            id: newId(),
            flagKey: key,
            environment: null,
            action: "archive",
            actor,
            at,
            before,
            after,
          },
        },
        "archive",
        who(by),
      );
      return { key, environment: null, action: "archive", changed: true, before, after, revision };
    },

    async show(key, showOptions = {}) {
      const definition = await existing(key);
      const [states, audit] = await Promise.all([
        statesOf(key, environments),
        ledger.listFlagAudit(key, showOptions.auditLimit ?? 20),
      ]);
      return { definition, states, audit };
    },

    async list(environment, listOptions = {}) {
      if (environment !== undefined) checkEnvironment(environment);
      const envs = environment !== undefined ? [environment] : environments;
      const flags = await ledger.listFlags({ includeArchived: listOptions.includeArchived === true });
      const byEnv = new Map<string, Map<string, FlagEnvironmentState>>();
      for (const env of envs) {
        byEnv.set(env, new Map((await ledger.listFlagStates(env)).map((s) => [s.flagKey, s])));
      }
      return flags.map((definition) => ({
        definition,
        states: envs.map((env) => ({ environment: env, state: byEnv.get(env)?.get(definition.key) ?? null })),
      }));
    },
  };
}
