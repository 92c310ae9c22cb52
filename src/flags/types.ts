/**
 * Feature flags: the domain types shared by the ledger (where flags are stored), the CLI, the HTTP
 * API, the Node SDK and the OpenFeature provider. Plain JSON: the flag set an SDK downloads is
 * exactly `FlagSet`. Times are ISO-8601 strings in UTC; removal dates are YYYY-MM-DD.
 */
import type { Role } from "../server/auth/roles.js";

/**
 * What a flag is for. A release flag ships a feature gradually and must be removed: it needs a
 * removal date. Kill switches and permanent ops flags stay by design; experiments and permissions
 * carry a removal date when they have one.
 */
export const flagTypes = ["release", "kill-switch", "ops", "experiment", "permission"] as const;
export type FlagType = (typeof flagTypes)[number];

/** Flag types that may live without a removal date. */
export const permanentFlagTypes: readonly FlagType[] = ["kill-switch", "ops", "permission"];

export interface FlagDefinition {
  /** Letters, digits, '.', '_' and '-'; starts with a letter. */
  key: string;
  description: string;
  /** Who answers for the flag (a person or team); required. */
  owner: string;
  type: FlagType;
  /** YYYY-MM-DD; required for release flags. `shipgate check` fails once it has passed. */
  removalDate: string | null;
  createdAt: string;
  createdBy: string;
  /** Archived flags evaluate to off everywhere and must no longer be referenced in code. */
  archivedAt: string | null;
}

/** Targeting rules and variants as JSON, for the hints and help of every interface that takes them. */
export const ruleExample =
  '[{"attribute":"country","operator":"in","values":["DE","FR"],"serve":{"enabled":true}}]';
export const variantExample =
  '[{"name":"blue","weight":50},{"name":"green","weight":50,"payload":{"color":"#0a0"}}]';

export const ruleOperators = [
  "in",
  "not_in",
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "semver_eq",
  "semver_gt",
  "semver_gte",
  "semver_lt",
  "semver_lte",
] as const;
export type RuleOperator = (typeof ruleOperators)[number];

/** A targeting rule: when the context's attribute matches, the rule decides (first match wins). */
export interface TargetingRule {
  /** A context attribute, e.g. "userId", "country", "appVersion", "plan". */
  attribute: string;
  operator: RuleOperator;
  /** in/not_in: the list; the comparison operators use the first value. */
  values: (string | number)[];
  /** What a match serves: on or off, and optionally a fixed variant. */
  serve: { enabled: boolean; variant?: string };
}

export interface Variant {
  name: string;
  /** Relative weight (the weights of a flag need not sum to anything). */
  weight: number;
  /** Any JSON value an application reads (string, number, object …). */
  payload?: unknown;
}

/** A flag's state in one environment. */
export interface FlagEnvironmentState {
  flagKey: string;
  environment: string;
  enabled: boolean;
  /** Percent of contexts (by stickiness bucket, 0–100) that get the flag when no rule matched. */
  rollout: number;
  rules: TargetingRule[];
  variants: Variant[];
  /** Kill switch: the flag is off, whatever else it says. */
  killed: boolean;
  /** The context attribute whose value buckets a context (default "userId"; falls back to "sessionId"). */
  stickiness: string;
  updatedAt: string;
  updatedBy: string;
  /** When the rollout last changed (for "sat at 100% / 0% for 30 days" lifecycle warnings). */
  rolloutChangedAt: string;
}

/** One flag as an SDK evaluates it: the definition's key and type, the environment's state. */
export interface FlagConfig {
  key: string;
  type: FlagType;
  archived: boolean;
  enabled: boolean;
  killed: boolean;
  rollout: number;
  rules: TargetingRule[];
  variants: Variant[];
  stickiness: string;
}

/** What `GET /api/flags` returns for a token's environment (the SDKs' whole input). */
export interface FlagSet {
  environment: string;
  /** Increases with every change of any flag in the ledger; the ETag is derived from it. */
  revision: number;
  flags: FlagConfig[];
}

/** An audited change: who, when, what, before and after. */
export interface FlagAuditEntry {
  id: string;
  flagKey: string;
  /** null for a definition change (create, archive), else the environment changed. */
  environment: string | null;
  /**
   * What changed. `rules` and `variants` replaced the targeting rules or the variants; ledgers
   * written before those actions existed hold "update" for both (compare before and after).
   */
  action:
    | "create"
    | "enable"
    | "disable"
    | "rollout"
    | "kill"
    | "unkill"
    | "archive"
    | "rules"
    | "variants"
    | "update";
  actor: string;
  at: string;
  before: unknown;
  after: unknown;
}

/**
 * An API token; only its SHA-256 hash is stored. `scope` "sdk": an SDK token (`sg_sdk_…`), read-only
 * flags of one environment. A role (`sg_api_…`): a team-server token acting with that role.
 */
export interface ApiTokenRecord {
  id: string;
  /** hex SHA-256 of the token. */
  hash: string;
  name: string;
  /** The environment the token is scoped to; "*" for a role token valid in every environment. */
  environment: string;
  scope: "sdk" | Role;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

/** The evaluation context: attributes of the user/request. */
export type EvaluationContext = Record<string, string | number | boolean | undefined>;
