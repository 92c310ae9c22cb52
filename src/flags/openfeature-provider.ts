/**
 * shipgate/openfeature — an OpenFeature server provider backed by the shipgate flags client (local
 * evaluation; the flag set is kept current over SSE). Booleans resolve to the flag's on/off; strings,
 * numbers and objects to the served variant's payload (for strings, the variant's name when it has
 * no payload). OpenFeature's targetingKey is the "userId" stickiness attribute unless the context
 * sets userId itself.
 *
 *   import { OpenFeature } from "@openfeature/server-sdk";
 *   import { ShipgateProvider } from "shipgate/openfeature";
 *   await OpenFeature.setProviderAndWait(new ShipgateProvider({ url, token }));
 */
import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
  type ResolutionReason,
  StandardResolutionReasons,
} from "@openfeature/server-sdk";
import type { Evaluation } from "./evaluate.js";
import { createFlagsClient, type FlagsClient, type FlagsClientOptions } from "./sdk/flags-client.js";
import type { FlagConfig, FlagSet, EvaluationContext as ShipgateContext } from "./types.js";

type ValueType = "string" | "number" | "object";

/** OpenFeature's context as shipgate attributes: primitives kept, dates as ISO strings, targetingKey → userId. */
function toShipgateContext(context: EvaluationContext): ShipgateContext {
  const out: ShipgateContext = {};
  for (const key in context) {
    const value = context[key];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      out[key] = value;
    else if (value instanceof Date) out[key] = value.toISOString();
  }
  if (out.userId === undefined && typeof context.targetingKey === "string" && context.targetingKey !== "") {
    out.userId = context.targetingKey;
  }
  return out;
}

function hasStickiness(flag: FlagConfig, context: ShipgateContext): boolean {
  const value = context[flag.stickiness] ?? context.userId ?? context.sessionId;
  return value !== undefined && value !== "";
}

const reasons: Record<Evaluation["reason"], ResolutionReason> = {
  DISABLED: StandardResolutionReasons.DISABLED,
  TARGETING_MATCH: StandardResolutionReasons.TARGETING_MATCH,
  SPLIT: StandardResolutionReasons.SPLIT,
  DEFAULT: StandardResolutionReasons.DEFAULT,
};

function failure<T>(value: T, errorCode: ErrorCode, errorMessage: string): ResolutionDetails<T> {
  return { value, reason: StandardResolutionReasons.ERROR, errorCode, errorMessage };
}

function isFlagsClient(source: FlagsClient | FlagSet | FlagsClientOptions): source is FlagsClient {
  return typeof (source as FlagsClient).isEnabled === "function";
}

export class ShipgateProvider implements Provider {
  readonly metadata = { name: "shipgate" } as const;
  readonly runsOn = "server" as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly client: FlagsClient;
  /** Whether the provider created the client (and so closes it in onClose). */
  private readonly ownsClient: boolean;
  private readonly onChange = (_flags: FlagSet, changedKeys: string[]) =>
    this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changedKeys });
  private readonly onStale = () =>
    this.events.emit(ProviderEvents.Stale, { message: "flags server unreachable" });
  private readonly onReady = () => this.events.emit(ProviderEvents.Ready);
  private subscribed = false;
  /** The flags of the client's current flag set by key (rebuilt when the set changes). */
  private index = new Map<string, FlagConfig>();
  private indexedSet: FlagSet | null = null;

  /** From a flags client (shared with the app), the client's options, or a fixed flag set (tests, offline). */
  constructor(source: FlagsClient | FlagsClientOptions | FlagSet) {
    if (isFlagsClient(source)) {
      this.client = source;
      this.ownsClient = false;
    } else if ("url" in source) {
      this.client = createFlagsClient(source);
      this.ownsClient = true;
    } else {
      this.client = createFlagsClient({
        url: "http://127.0.0.1",
        token: "",
        offline: true,
        bootstrap: source,
      });
      this.ownsClient = true;
    }
  }

  /** Waits for the client's first flag set; rejects (provider ERROR) when the token is refused. */
  async initialize(): Promise<void> {
    await this.client.ready();
    if (this.subscribed) return;
    this.subscribed = true;
    // Subscribed after the first load: the SDK emits READY for initialize itself; later "ready" events are recoveries.
    this.client.on("change", this.onChange);
    this.client.on("stale", this.onStale);
    this.client.on("ready", this.onReady);
  }

  async onClose(): Promise<void> {
    this.client.off("change", this.onChange);
    this.client.off("stale", this.onStale);
    this.client.off("ready", this.onReady);
    this.subscribed = false;
    if (this.ownsClient) await this.client.close();
  }

  async resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<boolean>> {
    return this.resolveBoolean(flagKey, defaultValue, context);
  }

  async resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<string>> {
    return this.resolveValue(flagKey, defaultValue, context, "string");
  }

  async resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<number>> {
    return this.resolveValue(flagKey, defaultValue, context, "number");
  }

  async resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    return this.resolveValue(flagKey, defaultValue, context, "object");
  }

  private lookup(flagKey: string): FlagConfig | ErrorCode {
    const set = this.client.flags();
    if (set === null) return ErrorCode.PROVIDER_NOT_READY;
    if (set !== this.indexedSet) {
      this.index = new Map(set.flags.map((f) => [f.key, f]));
      this.indexedSet = set;
    }
    return this.index.get(flagKey) ?? ErrorCode.FLAG_NOT_FOUND;
  }

  private resolveBoolean(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): ResolutionDetails<boolean> {
    const flag = this.lookup(flagKey);
    if (typeof flag === "string") return failure(defaultValue, flag, message(flag, flagKey));
    const ctx = toShipgateContext(context);
    const result = this.client.evaluate(flagKey, ctx) as Evaluation;
    if (result.reason === "DEFAULT" && flag.rollout > 0 && flag.rollout < 100 && !hasStickiness(flag, ctx)) {
      return failure(
        defaultValue,
        ErrorCode.TARGETING_KEY_MISSING,
        message(ErrorCode.TARGETING_KEY_MISSING, flagKey, flag),
      );
    }
    return {
      value: result.enabled,
      variant: result.variant?.name ?? (result.enabled ? "on" : "off"),
      reason: reasons[result.reason],
    };
  }

  private resolveValue<T>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
    type: ValueType,
  ): ResolutionDetails<T> {
    const flag = this.lookup(flagKey);
    if (typeof flag === "string") return failure(defaultValue, flag, message(flag, flagKey));
    const ctx = toShipgateContext(context);
    const result = this.client.evaluate(flagKey, ctx) as Evaluation;
    const sticky = hasStickiness(flag, ctx);
    const fixedByRule =
      result.ruleIndex !== undefined && flag.rules[result.ruleIndex]?.serve.variant !== undefined;
    if (
      !sticky &&
      !fixedByRule &&
      (result.variant !== null || (result.reason === "DEFAULT" && flag.rollout > 0 && flag.rollout < 100))
    ) {
      // Without a targeting key the variant (or the rollout) would be a coin toss: refuse it.
      return failure(
        defaultValue,
        ErrorCode.TARGETING_KEY_MISSING,
        message(ErrorCode.TARGETING_KEY_MISSING, flagKey, flag),
      );
    }
    if (!result.enabled) return { value: defaultValue, reason: reasons[result.reason] };
    if (result.variant === null) {
      return failure(
        defaultValue,
        ErrorCode.TYPE_MISMATCH,
        `Flag "${flagKey}" has no variants and resolves only to a boolean; use a boolean evaluation or add variants.`,
      );
    }
    const { name, payload } = result.variant;
    const value = payload === undefined && type === "string" ? name : payload;
    const matches = type === "object" ? typeof value === "object" && value !== null : typeof value === type;
    if (!matches) {
      return failure(
        defaultValue,
        ErrorCode.TYPE_MISMATCH,
        `Flag "${flagKey}" served variant "${name}" whose payload is ${value === null ? "null" : typeof value}, not ${type === "object" ? "an object" : `a ${type}`}.`,
      );
    }
    return { value: value as T, variant: name, reason: reasons[result.reason] };
  }
}

function message(code: ErrorCode, flagKey: string, flag?: FlagConfig): string {
  switch (code) {
    case ErrorCode.PROVIDER_NOT_READY:
      return "The shipgate flags client has no flag set yet (server unreachable and no bootstrap or cache).";
    case ErrorCode.FLAG_NOT_FOUND:
      return `Flag "${flagKey}" is not in this environment's flag set (undefined, or archived): check the key, or create it with \`shipgate flags create ${flagKey} --owner <team> --removal-date YYYY-MM-DD\` and enable it here with \`shipgate flags enable ${flagKey} --environment <env>\`.`;
    default:
      return `Flag "${flagKey}" buckets by "${flag?.stickiness ?? "userId"}": set the context's targetingKey (or ${flag?.stickiness ?? "userId"}).`;
  }
}
