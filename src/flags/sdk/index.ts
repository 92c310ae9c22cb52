/**
 * shipgate/flags — the Node SDK: local, synchronous flag evaluation kept current over server-sent
 * events, with bootstrap, a last-known-good cache and aggregated evaluation counts.
 *
 *   import { createFlagsClient } from "shipgate/flags";
 *   const flags = createFlagsClient({ url: "http://127.0.0.1:4100", token: process.env.SHIPGATE_SDK_TOKEN ?? "" });
 *   await flags.ready();
 *   if (flags.isEnabled("new-checkout", { userId })) …
 */
export type { Evaluation, EvaluationReason } from "../evaluate.js";
export { bucketOf, evaluateFlag, isFlagEnabled } from "../evaluate.js";
export type {
  EvaluationContext,
  FlagConfig,
  FlagSet,
  FlagType,
  RuleOperator,
  TargetingRule,
  Variant,
} from "../types.js";
export { parseFlagSet } from "./flag-set-schema.js";
export {
  createFlagsClient,
  type FlagsClient,
  type FlagsClientEvents,
  type FlagsClientOptions,
  type FlagsClientStatus,
  type FlagVariantResult,
} from "./flags-client.js";
