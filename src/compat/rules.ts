/**
 * The compatibility rules: one table with each rule's id, severity, where it looks and the safe
 * alternative. Detection lives in the walkers (openapi/diff.ts, openapi/schema-diff.ts, accept.ts):
 * a rule needs the matched pair and the direction, which only the walk knows. docs/compat.md has a
 * section per rule; test/compat/rules.test.ts fails when one is missing or never exercised.
 */
import { docsBaseUrl } from "../core/docs.js";
import type { Severity } from "../core/finding.js";

/** Where a rule looks: what clients send, what clients read, the operation as a whole, or the accept file. */
export type RuleScope = "request" | "response" | "operation" | "accept";

export interface CompatRuleMeta {
  severity: Severity;
  scope: RuleScope;
  /** One line: what the rule reports. */
  description: string;
  /** The safe alternative. */
  help: string;
}

export const compatRules = {
  "operation-removed": {
    severity: "error",
    scope: "operation",
    description:
      "An operation (path + method) was removed without being deprecated with an x-sunset date that has passed.",
    help: "Keep the operation, mark it `deprecated: true` with `x-sunset: <date>`, tell clients, and remove it after that date.",
  },
  "operation-removed-after-sunset": {
    severity: "info",
    scope: "operation",
    description: "A deprecated operation was removed after its x-sunset date: allowed by the sunset policy.",
    help: "Nothing to do; clients were told by the deprecation and the sunset date.",
  },
  "operation-added": {
    severity: "info",
    scope: "operation",
    description: "A new operation.",
    help: "Nothing to do.",
  },
  "operation-deprecated": {
    severity: "info",
    scope: "operation",
    description: "An operation was marked deprecated.",
    help: "Give it an `x-sunset` date so that removing it later is allowed.",
  },
  "path-parameter-renamed": {
    severity: "info",
    scope: "operation",
    description:
      "A path parameter changed only its name (/orders/{id} → /orders/{orderId}): the URLs clients call are the same.",
    help: "Nothing to do: the name of a path parameter is not part of the URL.",
  },
  "security-requirement-added": {
    severity: "error",
    scope: "request",
    description:
      "The operation requires a security scheme or scope that none of its former requirements satisfied.",
    help: "Accept the old credentials alongside the new ones (add the new requirement as an alternative), then remove the old one once clients have moved.",
  },
  "request-parameter-added-required": {
    severity: "error",
    scope: "request",
    description: "A new required parameter: existing clients do not send it.",
    help: "Add the parameter as optional with a server-side default; make it required only when every client sends it.",
  },
  "request-parameter-became-required": {
    severity: "error",
    scope: "request",
    description: "An optional parameter became required: clients that leave it out are rejected.",
    help: "Keep it optional and apply a default on the server.",
  },
  "request-parameter-removed": {
    severity: "warning",
    scope: "request",
    description:
      "A parameter is no longer documented: clients still send it, and the server now ignores (or rejects) it.",
    help: "Keep accepting the parameter until clients stop sending it, or deprecate it first.",
  },
  "request-parameter-moved": {
    severity: "error",
    scope: "request",
    description:
      "A parameter moved location (e.g. query → header): clients send it where it is no longer read.",
    help: "Read the parameter from both locations during the transition.",
  },
  "request-body-became-required": {
    severity: "error",
    scope: "request",
    description:
      "A request body became required (or a required body was added): clients that send none are rejected.",
    help: "Keep the body optional and default the missing values on the server.",
  },
  "request-media-type-removed": {
    severity: "error",
    scope: "request",
    description: "A request media type is no longer accepted: clients sending it get 415.",
    help: "Keep accepting the old media type alongside the new one.",
  },
  "request-property-added-required": {
    severity: "error",
    scope: "request",
    description: "A new required property in a request body: existing clients do not send it.",
    help: "Add the property as optional with a default; require it once every client sends it.",
  },
  "request-property-became-required": {
    severity: "error",
    scope: "request",
    description: "An optional request property became required: clients that leave it out are rejected.",
    help: "Keep it optional and default it on the server.",
  },
  "request-property-removed": {
    severity: "warning",
    scope: "request",
    description:
      "A request property was removed: clients still send it, and the server ignores it (an error when the schema forbids additional properties: the request is rejected).",
    help: "Keep accepting (and ignoring) the property until clients stop sending it.",
  },
  "request-type-narrowed": {
    severity: "error",
    scope: "request",
    description:
      "A request value accepts fewer types or a stricter format (e.g. number → integer, string → string/uuid): values clients send are rejected.",
    help: "Accept the old type too (e.g. type: [string, integer]) and normalise on the server.",
  },
  "request-nullable-removed": {
    severity: "error",
    scope: "request",
    description: "A request value that accepted null no longer does: clients sending null are rejected.",
    help: "Keep accepting null and treat it as absent on the server.",
  },
  "request-enum-narrowed": {
    severity: "error",
    scope: "request",
    description:
      "A request enum lost values (or an enum was introduced): clients sending the old values are rejected.",
    help: "Keep accepting the old values (map them on the server) until clients stop sending them.",
  },
  "request-constraint-tightened": {
    severity: "error",
    scope: "request",
    description:
      "A request constraint got stricter (maxLength, minLength, maximum, minimum, pattern, multipleOf, maxItems, minItems, uniqueItems, additionalProperties: false…): values that passed are rejected.",
    help: "Keep the old limits for requests, or enforce the new ones only on new clients.",
  },
  "request-variant-removed": {
    severity: "error",
    scope: "request",
    description: "A oneOf/anyOf variant was removed from a request: clients sending that shape are rejected.",
    help: "Keep accepting the variant until clients stop sending it.",
  },
  "response-status-removed": {
    severity: "error",
    scope: "response",
    description: "A success (1xx–3xx) response status was removed: clients expecting it get something else.",
    help: "Keep returning the old status; add a new one only behind a new operation or version.",
  },
  "response-error-status-removed": {
    severity: "info",
    scope: "response",
    description:
      "An error (4xx/5xx/default) response is no longer documented; readers handling it are not broken.",
    help: "Nothing to do.",
  },
  "response-success-status-added": {
    severity: "warning",
    scope: "response",
    description: "A new success status (e.g. 202 next to 200): clients may not handle it.",
    help: "Check that clients treat the new status as success, or return it only when they ask for it.",
  },
  "response-media-type-removed": {
    severity: "error",
    scope: "response",
    description:
      "A response media type was removed: clients asking for it (Accept) get 406 or a body they cannot parse.",
    help: "Keep producing the old media type alongside the new one.",
  },
  "response-property-removed": {
    severity: "error",
    scope: "response",
    description: "A response property was removed: clients reading it break.",
    help: "Keep returning the property (deprecated) until no client reads it, then remove it with an accepted break.",
  },
  "response-property-became-optional": {
    severity: "error",
    scope: "response",
    description:
      "A required response property became optional: clients that expect it to be there break when it is missing.",
    help: "Keep it required (always return it), or add a new optional property instead.",
  },
  "response-type-widened": {
    severity: "error",
    scope: "response",
    description:
      "A response value may now have a type or format readers do not expect (e.g. integer → number, string → [string, integer]).",
    help: "Return the new type in a new property and keep the old one.",
  },
  "response-nullable-added": {
    severity: "error",
    scope: "response",
    description: "A response value may now be null: readers that do not expect null break.",
    help: "Keep returning a value (or omit an optional property) instead of null.",
  },
  "response-enum-value-removed": {
    severity: "error",
    scope: "response",
    description:
      "A response enum lost a value: readers that wait for or branch on it (a poller waiting for `settled`) never see it again.",
    help: "Keep returning the value where it applies, or accept the break with a reason once no client depends on it.",
  },
  "response-enum-widened": {
    severity: "warning",
    scope: "response",
    description:
      "A response enum gained values (or lost its enum): readers with an exhaustive switch may not handle them.",
    help: "Check that clients handle unknown values (a default branch), or return the new value only to clients that ask for it.",
  },
  "response-constraint-loosened": {
    severity: "warning",
    scope: "response",
    description:
      "A response constraint got looser (a longer maxLength, a larger maximum…): readers that relied on the old limit (a VARCHAR(50), an int32) may break.",
    help: "Check what clients do with the value; keep the old limit if they store it in a fixed-size place.",
  },
  "response-variant-added": {
    severity: "warning",
    scope: "response",
    description: "A response oneOf/anyOf gained a variant: readers may receive a shape they cannot parse.",
    help: "Check that clients ignore unknown variants, or return the new variant only to clients that ask for it.",
  },
  "response-header-removed": {
    severity: "error",
    scope: "response",
    description: "A response header was removed: clients reading it (Location, ETag, rate limits…) break.",
    help: "Keep sending the header until no client reads it.",
  },
  "compat-accept-expired": {
    severity: "error",
    scope: "accept",
    description: "An accepted break in .shipgate-compat.yaml has expired: it no longer approves anything.",
    help: "Fix the break, or renew the entry with a new expiry date and a reason.",
  },
  "compat-accept-unused": {
    severity: "warning",
    scope: "accept",
    description: "An entry in .shipgate-compat.yaml matches no finding: remove it.",
    help: "Delete the entry (the break is gone), or fix its rule, operation or pointer.",
  },
} as const satisfies Record<string, CompatRuleMeta>;

export type CompatRuleId = keyof typeof compatRules;

export const compatRuleIds = Object.keys(compatRules).sort() as CompatRuleId[];

/** docs/compat.md, next to the migration rule pages. */
export const compatDocsUrl = `${docsBaseUrl.replace(/rules\/$/, "")}compat.md`;

export function compatRuleDocsUrl(ruleId: string): string {
  return `${compatDocsUrl}#${ruleId}`;
}

/** GraphQL findings carry graphql-inspector's change type as rule id: graphql-field-removed… */
export function isGraphqlRule(ruleId: string): boolean {
  return ruleId.startsWith("graphql-");
}

/** One-line descriptions by rule id, for SARIF. */
export function compatRuleDescriptions(): Record<string, string> {
  return Object.fromEntries(Object.entries(compatRules).map(([id, meta]) => [id, meta.description]));
}
