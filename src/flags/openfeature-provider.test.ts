/**
 * OpenFeature conformance of the shipgate provider, through the real OpenFeature server SDK: every
 * resolution reason, every error code that applies, value types, targetingKey mapping, and the
 * READY / CONFIGURATION_CHANGED / STALE / ERROR events.
 */
import { EventEmitter } from "node:events";
import {
  ErrorCode,
  type EventDetails,
  OpenFeature,
  ProviderEvents,
  ProviderStatus,
  StandardResolutionReasons,
} from "@openfeature/server-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { flagConfig } from "../../test/support/flags.js";
import { type Evaluation, evaluateFlag, isFlagEnabled } from "./evaluate.js";
import { ShipgateProvider } from "./openfeature-provider.js";
import type { FlagsClient, FlagsClientStatus, FlagVariantResult } from "./sdk/index.js";
import type { EvaluationContext, FlagConfig, FlagSet } from "./types.js";

// bucketOf("new-checkout", "user-1") = 32, bucketOf("new-checkout", "user-2") = 90.
const flags: FlagSet = {
  environment: "production",
  revision: 4,
  flags: [
    flagConfig("new-checkout", { rollout: 50 }),
    flagConfig("beta", {
      rollout: 0,
      rules: [{ attribute: "plan", operator: "in", values: ["pro"], serve: { enabled: true } }],
    }),
    flagConfig("off-flag", { enabled: false }),
    flagConfig("killed-flag", { killed: true }),
    flagConfig("nobody", { rollout: 0 }),
    flagConfig("theme", {
      variants: [
        { name: "dark", weight: 1 },
        { name: "light", weight: 0 },
      ],
    }),
    flagConfig("greeting", { variants: [{ name: "formal", weight: 1, payload: "Good day" }] }),
    flagConfig("limit", {
      variants: [{ name: "high", weight: 1, payload: 500 }],
      rules: [{ attribute: "plan", operator: "eq", values: ["free"], serve: { enabled: false } }],
    }),
    flagConfig("layout", { variants: [{ name: "grid", weight: 1, payload: { columns: 3 } }] }),
    flagConfig("fixed", {
      rollout: 0,
      variants: [
        { name: "a", weight: 1 },
        { name: "b", weight: 1 },
      ],
      rules: [
        { attribute: "country", operator: "in", values: ["FR"], serve: { enabled: true, variant: "b" } },
      ],
    }),
  ],
};

/** A fake FlagsClient: evaluates a flag set, with a controllable readiness and events. */
class FakeFlagsClient extends EventEmitter {
  status: FlagsClientStatus = "not-ready";
  current: FlagSet | null = null;
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  private readonly readyPromise = new Promise<void>((resolve, reject) => {
    this.settle = { resolve, reject };
  });

  load(set: FlagSet): void {
    this.current = set;
    this.status = "ready";
    this.settle.resolve();
  }
  refuse(error: Error): void {
    this.settle.reject(error);
  }
  private find(key: string): FlagConfig | undefined {
    return this.current?.flags.find((f) => f.key === key);
  }
  isEnabled(key: string, context: EvaluationContext = {}): boolean {
    return isFlagEnabled(this.find(key), context);
  }
  getVariant(): FlagVariantResult {
    return { name: "disabled", enabled: false };
  }
  evaluate(key: string, context: EvaluationContext = {}): Evaluation | undefined {
    const flag = this.find(key);
    return flag === undefined ? undefined : evaluateFlag(flag, context);
  }
  flags(): FlagSet | null {
    return this.current;
  }
  ready(): Promise<void> {
    return this.readyPromise;
  }
  async close(): Promise<void> {}
}

let domain = 0;
async function clientFor(provider: ShipgateProvider) {
  const name = `shipgate-test-${domain++}`;
  await OpenFeature.setProviderAndWait(name, provider);
  return OpenFeature.getClient(name);
}

afterEach(async () => {
  await OpenFeature.clearProviders();
});

describe("ShipgateProvider", () => {
  it("is named shipgate", () => {
    expect(new ShipgateProvider(flags).metadata.name).toBe("shipgate");
  });

  it("resolves booleans with SPLIT, TARGETING_MATCH, DISABLED and DEFAULT", async () => {
    const client = await clientFor(new ShipgateProvider(flags));
    expect(await client.getBooleanDetails("new-checkout", false, { targetingKey: "user-1" })).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.SPLIT,
      variant: "on",
    });
    expect(await client.getBooleanDetails("new-checkout", true, { targetingKey: "user-2" })).toMatchObject({
      value: false,
      reason: StandardResolutionReasons.DEFAULT,
      variant: "off",
    });
    expect(await client.getBooleanDetails("beta", false, { targetingKey: "u", plan: "pro" })).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.TARGETING_MATCH,
    });
    for (const key of ["off-flag", "killed-flag"]) {
      expect(await client.getBooleanDetails(key, true, { targetingKey: "u" })).toMatchObject({
        value: false,
        reason: StandardResolutionReasons.DISABLED,
      });
    }
    expect(await client.getBooleanDetails("nobody", true, {})).toMatchObject({
      value: false,
      reason: StandardResolutionReasons.DEFAULT,
    });
    expect(await client.getBooleanValue("new-checkout", false, { targetingKey: "user-1" })).toBe(true);
  });

  it("maps targetingKey to userId unless the context sets userId", async () => {
    const client = await clientFor(new ShipgateProvider(flags));
    expect(
      await client.getBooleanValue("new-checkout", false, { targetingKey: "user-2", userId: "user-1" }),
    ).toBe(true);
    expect(
      await client.getBooleanValue("new-checkout", true, { targetingKey: "user-1", userId: "user-2" }),
    ).toBe(false);
  });

  it("resolves strings, numbers and objects from the served variant", async () => {
    const client = await clientFor(new ShipgateProvider(flags));
    const ctx = { targetingKey: "user-1" };
    expect(await client.getStringDetails("theme", "none", ctx)).toMatchObject({
      value: "dark",
      variant: "dark",
      reason: StandardResolutionReasons.SPLIT,
    });
    expect(await client.getStringDetails("greeting", "hi", ctx)).toMatchObject({
      value: "Good day",
      variant: "formal",
    });
    expect(await client.getNumberDetails("limit", 10, ctx)).toMatchObject({ value: 500, variant: "high" });
    expect(await client.getObjectDetails("layout", {}, ctx)).toMatchObject({
      value: { columns: 3 },
      variant: "grid",
    });
    // A rule that serves a fixed variant needs no targeting key.
    expect(await client.getStringDetails("fixed", "none", { country: "FR" })).toMatchObject({
      value: "b",
      reason: StandardResolutionReasons.TARGETING_MATCH,
    });
    // Off: the default value, with the reason.
    expect(await client.getNumberDetails("limit", 10, { ...ctx, plan: "free" })).toMatchObject({
      value: 10,
      reason: StandardResolutionReasons.TARGETING_MATCH,
    });
    expect(await client.getStringDetails("off-flag", "dflt", ctx)).toMatchObject({
      value: "dflt",
      reason: StandardResolutionReasons.DISABLED,
    });
  });

  it("returns FLAG_NOT_FOUND, TYPE_MISMATCH and TARGETING_KEY_MISSING with reason ERROR and the default", async () => {
    const client = await clientFor(new ShipgateProvider(flags));
    const ctx = { targetingKey: "user-1" };
    const expectError = (
      details: { value: unknown; reason?: string; errorCode?: string },
      value: unknown,
      code: ErrorCode,
    ) => expect(details).toMatchObject({ value, reason: StandardResolutionReasons.ERROR, errorCode: code });
    expectError(await client.getBooleanDetails("missing", true, ctx), true, ErrorCode.FLAG_NOT_FOUND);
    expectError(await client.getStringDetails("missing", "d", ctx), "d", ErrorCode.FLAG_NOT_FOUND);
    expectError(await client.getNumberDetails("greeting", 1, ctx), 1, ErrorCode.TYPE_MISMATCH);
    expectError(await client.getObjectDetails("limit", { a: 1 }, ctx), { a: 1 }, ErrorCode.TYPE_MISMATCH);
    expectError(await client.getStringDetails("new-checkout", "d", ctx), "d", ErrorCode.TYPE_MISMATCH);
    expectError(
      await client.getBooleanDetails("new-checkout", true, {}),
      true,
      ErrorCode.TARGETING_KEY_MISSING,
    );
    expectError(await client.getStringDetails("theme", "d", {}), "d", ErrorCode.TARGETING_KEY_MISSING);
    const details = await client.getBooleanDetails("new-checkout", true, {});
    expect(details.errorMessage).toMatch(/targetingKey/);
    // The create command it names is one the CLI accepts (the owner is required).
    const missing = await client.getBooleanDetails("missing", true, ctx);
    expect(missing.errorMessage).toMatch(/shipgate flags create missing --owner <team>/);
  });

  it("returns PROVIDER_NOT_READY before the client has flags, and waits for them in initialize", async () => {
    const fake = new FakeFlagsClient();
    const name = `shipgate-test-${domain++}`;
    const provider = new ShipgateProvider(fake as unknown as FlagsClient); // a structural fake of the client
    OpenFeature.setProvider(name, provider);
    const client = OpenFeature.getClient(name);
    expect(client.providerStatus).toBe(ProviderStatus.NOT_READY);
    expect(await client.getBooleanDetails("new-checkout", true, { targetingKey: "user-1" })).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.PROVIDER_NOT_READY,
    });
    const ready = new Promise<void>((resolve) => client.addHandler(ProviderEvents.Ready, () => resolve()));
    fake.load(flags);
    await ready;
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(await client.getBooleanValue("new-checkout", false, { targetingKey: "user-1" })).toBe(true);
  });

  it("goes to ERROR when the client's token is refused, and answers PROVIDER_NOT_READY", async () => {
    const fake = new FakeFlagsClient();
    const name = `shipgate-test-${domain++}`;
    const errors: EventDetails[] = [];
    const client = OpenFeature.getClient(name);
    client.addHandler(ProviderEvents.Error, (details) => errors.push(details as EventDetails));
    fake.refuse(new Error("The flags server refused the SDK token (HTTP 401)"));
    await expect(
      OpenFeature.setProviderAndWait(name, new ShipgateProvider(fake as unknown as FlagsClient)),
    ).rejects.toThrow(/refused the SDK token/);
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
    expect(errors).toHaveLength(1);
    expect(await client.getBooleanDetails("new-checkout", true, { targetingKey: "user-1" })).toMatchObject({
      value: true,
      errorCode: ErrorCode.PROVIDER_NOT_READY,
    });
  });

  it("emits CONFIGURATION_CHANGED with flagsChanged, STALE, and READY on recovery", async () => {
    const fake = new FakeFlagsClient();
    fake.load(flags);
    const client = await clientFor(new ShipgateProvider(fake as unknown as FlagsClient));
    const seen: { type: string; flagsChanged?: string[] }[] = [];
    for (const type of [ProviderEvents.ConfigurationChanged, ProviderEvents.Stale, ProviderEvents.Ready]) {
      client.addHandler(type, (details) => {
        if (type === ProviderEvents.Ready && seen.length === 0) return; // the handler's own "already ready" call
        seen.push({ type, flagsChanged: (details as { flagsChanged?: string[] } | undefined)?.flagsChanged });
      });
    }
    await new Promise((r) => setImmediate(r));
    const updated: FlagSet = {
      ...flags,
      revision: 5,
      flags: flags.flags.map((f) => ({ ...f, killed: true })),
    };
    fake.current = updated;
    fake.emit("change", updated, ["new-checkout"]);
    expect(await client.getBooleanValue("new-checkout", true, { targetingKey: "user-1" })).toBe(false);
    fake.emit("stale");
    expect(client.providerStatus).toBe(ProviderStatus.STALE);
    // Stale still answers with the last known flags.
    expect(await client.getBooleanDetails("off-flag", true, {})).toMatchObject({
      value: false,
      reason: "DISABLED",
    });
    fake.emit("ready");
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    await new Promise((r) => setImmediate(r));
    expect(seen.map((s) => s.type)).toEqual([
      ProviderEvents.ConfigurationChanged,
      ProviderEvents.Stale,
      ProviderEvents.Ready,
    ]);
    expect(seen[0]?.flagsChanged).toEqual(["new-checkout"]);
  });

  it("closes a client it created, and leaves a shared one open", async () => {
    const fake = new FakeFlagsClient();
    fake.load(flags);
    const provider = new ShipgateProvider(fake as unknown as FlagsClient);
    await clientFor(provider);
    await OpenFeature.clearProviders();
    expect(fake.listenerCount("change")).toBe(0);
  });
});
