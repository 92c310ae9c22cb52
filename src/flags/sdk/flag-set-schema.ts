/**
 * The runtime shape of a FlagSet as the SDK receives it (server response, SSE event, bootstrap or
 * cache file): parsed with zod so a malformed payload is rejected with every problem named, instead
 * of being evaluated half-read. Not strict: a newer server may add fields an older SDK ignores.
 */
import { z } from "zod";
import { ShipgateError } from "../../core/errors.js";
import { type FlagSet, flagTypes, ruleOperators } from "../types.js";

const ruleSchema = z.object({
  attribute: z.string().describe("The context attribute the rule reads."),
  operator: z.enum(ruleOperators).describe("How the attribute is compared with the values."),
  values: z
    .array(z.union([z.string(), z.number()]))
    .describe("The list (in/not_in) or the first value compared."),
  serve: z
    .object({
      enabled: z.boolean().describe("On or off when the rule matches."),
      variant: z.string().optional().describe("A fixed variant served on a match."),
    })
    .describe("What a match serves."),
});

const variantSchema = z.object({
  name: z.string().describe("The variant's name."),
  weight: z.number().describe("Relative weight."),
  payload: z.unknown().optional().describe("Any JSON value."),
});

const flagConfigSchema = z.object({
  key: z.string().min(1).describe("The flag key."),
  type: z.enum(flagTypes).describe("What the flag is for."),
  archived: z.boolean().describe("Archived flags are off."),
  enabled: z.boolean().describe("On in this environment."),
  killed: z.boolean().describe("Kill switch: off whatever else it says."),
  rollout: z.number().min(0).max(100).describe("Percent of contexts that get the flag."),
  rules: z.array(ruleSchema).describe("Targeting rules, first match wins."),
  variants: z.array(variantSchema).describe("Weighted variants."),
  stickiness: z.string().describe("The attribute that buckets a context."),
});

export const flagSetSchema = z.object({
  environment: z.string().describe("The environment the flags belong to."),
  revision: z.number().int().min(0).describe("The ledger's flag revision."),
  flags: z.array(flagConfigSchema).describe("Every flag of the environment."),
});

/** Parses a FlagSet from JSON text or a value; `source` names where it came from in the error. */
export function parseFlagSet(input: unknown, source: string): FlagSet {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new ShipgateError("CONFIG_INVALID", `${source} is not valid JSON: ${(error as Error).message}`, {
        hint: "A flag set file holds the JSON body of GET /api/flags; save one with `curl -H 'Authorization: Bearer …' <url>/api/flags`.",
      });
    }
  }
  const result = flagSetSchema.safeParse(value);
  if (!result.success) {
    throw new ShipgateError("CONFIG_INVALID", `${source} is not a flag set`, {
      details: result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
      hint: "A flag set is the JSON body of GET /api/flags: { environment, revision, flags: [...] }.",
    });
  }
  return result.data as FlagSet;
}
