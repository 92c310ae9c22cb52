import { beforeEach, describe, expect, it } from "vitest";
import { isShipgateError, type ShipgateError } from "../core/errors.js";
import { createMemoryLedger } from "../ledger/memory.js";
import type { LedgerStore } from "../ledger/types.js";
import { createFlagService, type FlagChangeResult, type FlagService } from "./service.js";
import type { FlagDefinition, FlagEnvironmentState } from "./types.js";

let clock = new Date("2026-03-01T10:00:00.000Z");
let ledger: LedgerStore;
let service: FlagService;
let ids = 0;

const release = {
  key: "new-checkout",
  description: "One-page checkout",
  owner: "team-payments",
  type: "release",
  removalDate: "2026-06-30",
};

function advance(ms: number): void {
  clock = new Date(clock.getTime() + ms);
}

async function rejected(promise: Promise<unknown>): Promise<ShipgateError> {
  try {
    await promise;
  } catch (error) {
    if (isShipgateError(error)) return error;
    throw error;
  }
  throw new Error("expected a ShipgateError");
}

beforeEach(() => {
  clock = new Date("2026-03-01T10:00:00.000Z");
  ids = 0;
  ledger = createMemoryLedger();
  service = createFlagService({
    ledger,
    environments: ["staging", "production"],
    now: () => clock,
    newId: () => `audit-${++ids}`,
  });
});

describe("createFlag", () => {
  it("stores the definition and audits the creation with before null", async () => {
    const result = await service.createFlag(release, "alice");
    expect(result.changed).toBe(true);
    const flag = await ledger.getFlag("new-checkout");
    expect(flag).toEqual({
      key: "new-checkout",
      description: "One-page checkout",
      owner: "team-payments",
      type: "release",
      removalDate: "2026-06-30",
      createdAt: "2026-03-01T10:00:00.000Z",
      createdBy: "alice",
      archivedAt: null,
    });
    const audit = await ledger.listFlagAudit("new-checkout");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "create",
      environment: null,
      actor: "alice",
      before: null,
      after: flag,
    });
  });

  it.each([
    [{ key: "1bad" }, /invalid flag key/],
    [{ key: "has space" }, /invalid flag key/],
    [{ key: `a${"b".repeat(100)}` }, /invalid flag key/],
    [{ owner: "  " }, /needs an owner/],
    [{ type: "feature" }, /unknown flag type/],
    [{ removalDate: undefined }, /needs a removal date/],
    [{ removalDate: "2026-02-30" }, /invalid removal date/],
    [{ removalDate: "30.06.2026" }, /invalid removal date/],
    [{ removalDate: "2026-02-28" }, /in the past/],
  ])("refuses %o with a USAGE error and a hint", async (patch, message) => {
    const error = await rejected(service.createFlag({ ...release, ...patch }, "alice"));
    expect(error.code).toBe("USAGE");
    expect(error.message).toMatch(message);
    expect(error.hint).toBeTruthy();
    expect(await ledger.listFlags({ includeArchived: true })).toEqual([]);
  });

  it("accepts today's date, and permanent types without a removal date", async () => {
    await service.createFlag({ ...release, removalDate: "2026-03-01" }, "alice");
    await service.createFlag({ key: "payments-kill", owner: "team-payments", type: "kill-switch" }, "alice");
    expect((await ledger.getFlag("payments-kill"))?.removalDate).toBeNull();
  });

  it("refuses a duplicate key, archived or not, naming `flags show`", async () => {
    await service.createFlag(release, "alice");
    const error = await rejected(service.createFlag(release, "bob"));
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toMatch(/already exists/);
    expect(error.hint).toMatch(/shipgate flags show new-checkout/);
    await service.archive("new-checkout", "alice");
    expect((await rejected(service.createFlag(release, "bob"))).message).toMatch(
      /already exists \(archived\)/,
    );
  });
});

describe("environment changes", () => {
  beforeEach(async () => {
    await service.createFlag(release, "alice");
  });

  it("starts the first change in an environment from the default state, audited with before null", async () => {
    const result = await service.enable("new-checkout", "production", "bob");
    const expected: FlagEnvironmentState = {
      flagKey: "new-checkout",
      environment: "production",
      enabled: true,
      rollout: 0,
      rules: [],
      variants: [],
      killed: false,
      stickiness: "userId",
      updatedAt: "2026-03-01T10:00:00.000Z",
      updatedBy: "bob",
      rolloutChangedAt: "2026-03-01T10:00:00.000Z",
    };
    expect(result).toMatchObject({ changed: true, before: null, after: expected });
    expect(await ledger.getFlagState("new-checkout", "production")).toEqual(expected);
    expect(await ledger.getFlagState("new-checkout", "staging")).toBeNull();
    const [entry] = await ledger.listFlagAudit("new-checkout", 1);
    expect(entry).toMatchObject({
      action: "enable",
      environment: "production",
      actor: "bob",
      before: null,
      after: expected,
    });
  });

  it("audits every action with the state before and after", async () => {
    const steps: [string, () => Promise<unknown>, Partial<FlagEnvironmentState>][] = [
      ["enable", () => service.enable("new-checkout", "staging", "bob"), { enabled: true }],
      ["rollout", () => service.setRollout("new-checkout", "staging", 25, "bob"), { rollout: 25 }],
      ["kill", () => service.kill("new-checkout", "staging", "bob"), { killed: true }],
      ["unkill", () => service.unkill("new-checkout", "staging", "bob"), { killed: false }],
      [
        "rules",
        () =>
          service.setRules(
            "new-checkout",
            "staging",
            [{ attribute: "country", operator: "in", values: ["DE"], serve: { enabled: true } }],
            "bob",
          ),
        { rules: [{ attribute: "country", operator: "in", values: ["DE"], serve: { enabled: true } }] },
      ],
      [
        "variants",
        () =>
          service.setVariants(
            "new-checkout",
            "staging",
            [{ name: "a", weight: 1, payload: { x: 1 } }],
            "bob",
          ),
        { variants: [{ name: "a", weight: 1, payload: { x: 1 } }] },
      ],
      ["disable", () => service.disable("new-checkout", "staging", "bob"), { enabled: false }],
    ];
    for (const [action, run, patch] of steps) {
      advance(60_000);
      const before = await ledger.getFlagState("new-checkout", "staging");
      await run();
      const after = await ledger.getFlagState("new-checkout", "staging");
      expect(after).toMatchObject(patch);
      const [entry] = await ledger.listFlagAudit("new-checkout", 1);
      expect(entry).toMatchObject({ action, environment: "staging", actor: "bob", at: clock.toISOString() });
      expect(entry?.after).toEqual(after);
      if (before !== null) expect(entry?.before).toEqual(before);
    }
    expect(await ledger.listFlagAudit("new-checkout")).toHaveLength(1 + steps.length);
  });

  it("moves rolloutChangedAt only when the rollout value changes", async () => {
    await service.setRollout("new-checkout", "production", 50, "bob");
    const first = (await ledger.getFlagState("new-checkout", "production"))?.rolloutChangedAt;
    advance(86_400_000);
    await service.enable("new-checkout", "production", "bob");
    await service.kill("new-checkout", "production", "bob");
    expect((await ledger.getFlagState("new-checkout", "production"))?.rolloutChangedAt).toBe(first);
    const same = await service.setRollout("new-checkout", "production", 50, "bob");
    expect(same.changed).toBe(false);
    expect((await ledger.getFlagState("new-checkout", "production"))?.rolloutChangedAt).toBe(first);
    advance(86_400_000);
    await service.setRollout("new-checkout", "production", 100, "bob");
    expect((await ledger.getFlagState("new-checkout", "production"))?.rolloutChangedAt).toBe(
      clock.toISOString(),
    );
  });

  it("writes and audits nothing when the flag already is in the requested state", async () => {
    const revision = await ledger.flagRevision();
    const result = await service.disable("new-checkout", "production", "bob");
    expect(result).toMatchObject({ changed: false, revision: null });
    expect(await ledger.flagRevision()).toBe(revision);
    expect(await ledger.listFlagAudit("new-checkout")).toHaveLength(1);
  });

  it.each([-1, 101, 12.5, Number.NaN])("refuses rollout %s", async (pct) => {
    const error = await rejected(service.setRollout("new-checkout", "production", pct, "bob"));
    expect(error.code).toBe("USAGE");
    expect(error.message).toMatch(/0 to 100/);
  });

  it("refuses an undeclared environment, listing the declared ones", async () => {
    const error = await rejected(service.enable("new-checkout", "prod", "bob"));
    expect(error.code).toBe("USAGE");
    expect(error.message).toMatch(/environment "prod" is not declared/);
    expect(error.hint).toMatch(/staging, production/);
    expect((await rejected(service.list("prod"))).code).toBe("USAGE");
  });

  it("suggests the declared environment an undeclared one is a typo of", async () => {
    const error = await rejected(service.enable("new-checkout", "productoin", "bob"));
    expect(error.hint).toBe(
      "Did you mean production? Declared environments: staging, production. Pass one with --environment.",
    );
  });

  it("refuses an unknown flag, naming `flags list`", async () => {
    const error = await rejected(service.enable("nope", "production", "bob"));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toBe('no flag "nope"');
    expect(error.hint).toMatch(/shipgate flags list/);
  });

  it("validates rules and variants with every problem and its path", async () => {
    const rules = await rejected(
      service.setRules(
        "new-checkout",
        "production",
        [{ attribute: "plan", operator: "like", values: [] }],
        "bob",
      ),
    );
    expect(rules.message).toBe("invalid targeting rules");
    expect(rules.details.join("\n")).toMatch(/\[0\]\.operator/);
    expect(rules.details.join("\n")).toMatch(/\[0\]\.values/);
    expect(rules.details.join("\n")).toMatch(/\[0\]\.serve/);
    const variants = await rejected(
      service.setVariants(
        "new-checkout",
        "production",
        [
          { name: "a", weight: -1 },
          { name: "a", weight: 1 },
        ],
        "bob",
      ),
    );
    expect(variants.message).toBe("invalid variants");
    expect(variants.details.join("\n")).toMatch(/\[0\]\.weight/);
    expect((await rejected(service.setVariants("new-checkout", "production", { a: 1 }, "bob"))).code).toBe(
      "USAGE",
    );
  });
});

describe("values a rule or variant set could never use", () => {
  beforeEach(async () => {
    await service.createFlag(release, "alice");
  });

  it.each([
    [
      { attribute: "age", operator: "gt", values: ["abc"] },
      /\[0\]\.values\[0\]: gt compares numbers, got "abc"/,
    ],
    [{ attribute: "age", operator: "lte", values: [""] }, /\[0\]\.values\[0\]: lte compares numbers/],
    [
      { attribute: "appVersion", operator: "semver_gte", values: ["latest"] },
      /\[0\]\.values\[0\]: semver_gte compares versions, got "latest"/,
    ],
    [
      { attribute: "country", operator: "eq", values: ["DE", "FR"] },
      /\[0\]\.values: eq compares with one value, got 2; use "in"/,
    ],
  ])("refuses the rule %o, naming the value", async (rule, detail) => {
    const error = await rejected(
      service.setRules("new-checkout", "production", [{ ...rule, serve: { enabled: true } }], "bob"),
    );
    expect(error.code).toBe("USAGE");
    expect(error.details.join("\n")).toMatch(detail);
    expect(await ledger.getFlagState("new-checkout", "production")).toBeNull();
  });

  it("accepts numbers written as strings, versions with a v, and in/not_in lists", async () => {
    const rules = [
      { attribute: "age", operator: "gte", values: ["18.5"], serve: { enabled: true } },
      { attribute: "appVersion", operator: "semver_lt", values: ["v2.0.0"], serve: { enabled: false } },
      { attribute: "country", operator: "not_in", values: ["DE", "FR"], serve: { enabled: false } },
    ];
    const result = await service.setRules("new-checkout", "production", rules, "bob");
    expect((result.after as FlagEnvironmentState).rules).toEqual(rules);
  });

  it("refuses variants whose weights are all 0 (none could be served)", async () => {
    const error = await rejected(
      service.setVariants(
        "new-checkout",
        "production",
        [
          { name: "blue", weight: 0 },
          { name: "green", weight: 0 },
        ],
        "bob",
      ),
    );
    expect(error.details.join("\n")).toMatch(/weight above 0/);
    const ok = await service.setVariants(
      "new-checkout",
      "production",
      [
        { name: "blue", weight: 0 },
        { name: "green", weight: 1 },
      ],
      "bob",
    );
    expect(ok.changed).toBe(true);
  });

  it("suggests a removal date the service would accept when the date is malformed", async () => {
    clock = new Date("2026-11-23T10:00:00.000Z");
    const error = await rejected(
      service.createFlag({ ...release, key: "d", removalDate: "2027-02-30" }, "a"),
    );
    const suggested = /--removal-date (\d{4}-\d{2}-\d{2})/.exec(error.hint ?? "")?.[1] ?? "";
    expect(suggested >= "2026-11-23").toBe(true);
    await service.createFlag({ ...release, key: "d", removalDate: suggested }, "a");
  });
});

describe("rules serve only variants the flag has", () => {
  const servesBlue = [
    { attribute: "plan", operator: "eq", values: ["pro"], serve: { enabled: true, variant: "blue" } },
  ];

  beforeEach(async () => {
    await service.createFlag(release, "alice");
  });

  it("refuses rules serving a variant the flag does not have, naming it and `flags variants`", async () => {
    await service.setVariants("new-checkout", "production", [{ name: "green", weight: 1 }], "bob");
    const count = (await ledger.listAudit()).length;
    const error = await rejected(service.setRules("new-checkout", "production", servesBlue, "bob"));
    expect(error.code).toBe("USAGE");
    expect(error.message).toBe(
      'targeting rules serve a variant that flag "new-checkout" does not have in production: "blue"',
    );
    expect(error.details).toEqual(['rules[0].serve.variant: no variant "blue" (variants: green)']);
    expect(error.hint).toMatch(/\(green\).*shipgate flags variants new-checkout --environment production/);
    expect((await ledger.getFlagState("new-checkout", "production"))?.rules).toEqual([]);
    expect(await ledger.listAudit()).toHaveLength(count);
  });

  it("refuses variants that leave out one a rule serves, naming `flags rules`", async () => {
    await service.setVariants("new-checkout", "staging", [{ name: "blue", weight: 1 }], "bob");
    await service.setRules("new-checkout", "staging", servesBlue, "bob");
    const error = await rejected(
      service.setVariants("new-checkout", "staging", [{ name: "green", weight: 1 }], "bob"),
    );
    expect(error.code).toBe("USAGE");
    expect(error.message).toMatch(/would not have in staging: "blue"$/);
    expect(error.hint).toMatch(
      /Keep "blue" among the variants.*shipgate flags rules new-checkout --environment staging/,
    );
    expect((await ledger.getFlagState("new-checkout", "staging"))?.variants).toEqual([
      { name: "blue", weight: 1 },
    ]);
  });

  it("validates a patch against its end state: a rule may serve a variant the same patch adds", async () => {
    const results = await service.patch(
      "new-checkout",
      "staging",
      { enabled: true, rules: servesBlue, variants: [{ name: "blue", weight: 1 }] },
      "bob",
    );
    expect(results.map((r) => [r.action, r.changed])).toEqual([
      ["rules", true],
      ["variants", true],
      ["enable", true],
    ]);
    expect(await ledger.getFlagState("new-checkout", "staging")).toMatchObject({
      enabled: true,
      rules: servesBlue,
      variants: [{ name: "blue", weight: 1 }],
    });
    // Dropping the rule and its variant together is fine too.
    const dropped = await service.patch("new-checkout", "staging", { rules: [], variants: [] }, "bob");
    expect(dropped.map((r) => r.action)).toEqual(["rules", "variants"]);
  });

  it("applies nothing of a refused patch", async () => {
    const count = (await ledger.listAudit()).length;
    const error = await rejected(
      service.patch(
        "new-checkout",
        "staging",
        { killed: true, enabled: false, rules: servesBlue, variants: [{ name: "green", weight: 1 }] },
        "bob",
      ),
    );
    expect(error.code).toBe("USAGE");
    expect(error.message).toMatch(/"blue"$/);
    expect(error.hint).toBe('Add "blue" to the variants, or serve one of them (green).');
    expect(await ledger.getFlagState("new-checkout", "staging")).toBeNull();
    expect(await ledger.listAudit()).toHaveLength(count);
  });
});

describe("archive", () => {
  it("audits the definition before and after, then refuses every change", async () => {
    await service.createFlag(release, "alice");
    await service.enable("new-checkout", "production", "bob");
    advance(1000);
    const before = (await ledger.getFlag("new-checkout")) as FlagDefinition;
    await service.archive("new-checkout", "carol");
    const after = await ledger.getFlag("new-checkout");
    expect(after?.archivedAt).toBe(clock.toISOString());
    const [entry] = await ledger.listFlagAudit("new-checkout", 1);
    expect(entry).toMatchObject({ action: "archive", environment: null, actor: "carol", before, after });

    const attempts = [
      service.enable("new-checkout", "production", "bob"),
      service.disable("new-checkout", "production", "bob"),
      service.setRollout("new-checkout", "production", 10, "bob"),
      service.kill("new-checkout", "production", "bob"),
      service.unkill("new-checkout", "production", "bob"),
      service.setRules("new-checkout", "production", [], "bob"),
      service.setVariants("new-checkout", "production", [], "bob"),
      service.archive("new-checkout", "bob"),
    ];
    for (const attempt of attempts) {
      const error = await rejected(attempt);
      expect(error.code).toBe("CONFLICT");
      expect(error.message).toMatch(/is archived/);
      expect(error.hint).toMatch(/read-only/);
    }
    expect(await ledger.listFlagAudit("new-checkout")).toHaveLength(3);
  });
});

describe("show and list", () => {
  it("show returns the definition, the state per environment and the audit, newest first", async () => {
    await service.createFlag(release, "alice");
    advance(1000);
    await service.setRollout("new-checkout", "staging", 100, "bob");
    const details = await service.show("new-checkout");
    expect(details.definition.key).toBe("new-checkout");
    expect(details.states.map((s) => [s.environment, s.state?.rollout ?? null])).toEqual([
      ["staging", 100],
      ["production", null],
    ]);
    expect(details.audit.map((a) => a.action)).toEqual(["rollout", "create"]);
  });

  it("list gives each flag's state in the environment, archived ones only when asked", async () => {
    await service.createFlag(release, "alice");
    await service.createFlag({ key: "old-search", owner: "bob", type: "ops" }, "alice");
    await service.kill("new-checkout", "production", "bob");
    await service.archive("old-search", "alice");
    const list = await service.list("production");
    expect(list.map((e) => [e.definition.key, e.states.map((s) => s.state?.killed ?? null)])).toEqual([
      ["new-checkout", [true]],
    ]);
    const all = await service.list(undefined, { includeArchived: true });
    expect(all.map((e) => e.definition.key)).toEqual(["new-checkout", "old-search"]);
    expect(all[0]?.states.map((s) => s.environment)).toEqual(["staging", "production"]);
  });
});

describe("the hash-chained audit log", () => {
  let audited: FlagService;
  let failing: boolean;

  beforeEach(() => {
    failing = false;
    audited = createFlagService({
      ledger,
      environments: ["staging", "production"],
      now: () => clock,
      newId: () => `audit-${++ids}`,
      source: "cli@build-host",
    });
  });

  it("appends one row per mutation with actor, flag.<verb>, flag:<key>, environment, source and before/after", async () => {
    const created = await audited.createFlag(release, "alice");
    const steps: [string, () => Promise<FlagChangeResult>][] = [
      ["flag.enable", () => audited.enable("new-checkout", "staging", "bob")],
      ["flag.rollout", () => audited.setRollout("new-checkout", "staging", 25, "bob")],
      ["flag.kill", () => audited.kill("new-checkout", "staging", "bob")],
      ["flag.unkill", () => audited.unkill("new-checkout", "staging", "bob")],
      [
        "flag.rules",
        () =>
          audited.setRules(
            "new-checkout",
            "staging",
            [{ attribute: "country", operator: "in", values: ["DE"], serve: { enabled: true } }],
            "bob",
          ),
      ],
      [
        "flag.variants",
        () => audited.setVariants("new-checkout", "staging", [{ name: "a", weight: 1 }], "bob"),
      ],
      ["flag.disable", () => audited.disable("new-checkout", "staging", "bob")],
    ];
    const [first] = await ledger.listAudit();
    expect(first).toMatchObject({
      seq: 1,
      actor: "alice",
      action: "flag.create",
      target: "flag:new-checkout",
      environment: null,
      source: "cli@build-host",
      before: null,
      after: created.after,
      at: clock.toISOString(),
    });
    for (const [action, run] of steps) {
      advance(60_000);
      const count = (await ledger.listAudit()).length;
      const before = await ledger.getFlagState("new-checkout", "staging");
      const result = await run();
      const rows = await ledger.listAudit({ afterSeq: count });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        actor: "bob",
        action,
        target: "flag:new-checkout",
        environment: "staging",
        source: "cli@build-host",
        at: clock.toISOString(),
      });
      expect(rows[0]?.before).toEqual(before);
      expect(rows[0]?.after).toEqual(await ledger.getFlagState("new-checkout", "staging"));
      expect(rows[0]?.after).toEqual(result.after);
    }
    advance(60_000);
    const definition = await ledger.getFlag("new-checkout");
    await audited.archive("new-checkout", "carol");
    const [archived] = await ledger.listAudit({ afterSeq: 1 + steps.length });
    expect(archived).toMatchObject({
      actor: "carol",
      action: "flag.archive",
      environment: null,
      before: definition,
      after: await ledger.getFlag("new-checkout"),
    });
    expect(await ledger.verifyAudit()).toEqual({ ok: true, count: steps.length + 2 });
    // The flag's own history names the same actions.
    expect((await ledger.listFlagAudit("new-checkout")).map((a) => a.action).reverse()).toEqual([
      "create",
      "enable",
      "rollout",
      "kill",
      "unkill",
      "rules",
      "variants",
      "disable",
      "archive",
    ]);
  });

  it("records the first change in an environment with before null", async () => {
    await audited.createFlag(release, "alice");
    await audited.enable("new-checkout", "production", "bob");
    const rows = await ledger.listAudit({ target: "flag:new-checkout" });
    expect(rows.map((r) => [r.action, r.before === null])).toEqual([
      ["flag.create", true],
      ["flag.enable", true],
    ]);
  });

  it("takes the actor's name and source per call, over the service's source", async () => {
    await audited.createFlag(release, { name: "ada", source: "203.0.113.7" });
    await audited.setRollout("new-checkout", "production", 10, { name: "ci-production", source: "10.0.0.2" });
    const rows = await ledger.listAudit();
    expect(rows.map((r) => [r.actor, r.source])).toEqual([
      ["ada", "203.0.113.7"],
      ["ci-production", "10.0.0.2"],
    ]);
    expect((await ledger.getFlagState("new-checkout", "production"))?.updatedBy).toBe("ci-production");
    expect((await ledger.listFlagAudit("new-checkout")).map((a) => a.actor)).toEqual([
      "ci-production",
      "ada",
    ]);
  });

  it("records source null when neither the service nor the call names one", async () => {
    await service.createFlag(release, "alice");
    expect((await ledger.listAudit())[0]?.source).toBeNull();
  });

  it("appends nothing for a no-op or a refused change", async () => {
    await audited.createFlag(release, "alice");
    await audited.disable("new-checkout", "production", "bob");
    await rejected(audited.setRollout("new-checkout", "production", 101, "bob"));
    await rejected(audited.enable("nope", "production", "bob"));
    await rejected(audited.createFlag(release, "bob"));
    expect(await ledger.listAudit()).toHaveLength(1);
  });

  it("says the change was applied when the audit append fails", async () => {
    const broken: LedgerStore = {
      ...ledger,
      appendAudit: async () => {
        failing = true;
        throw new Error("disk full");
      },
    };
    const svc = createFlagService({ ledger: broken, environments: ["production"], now: () => clock });
    const error = await rejected(svc.createFlag(release, "alice"));
    expect(failing).toBe(true);
    expect(error.code).toBe("LEDGER_FAILED");
    expect(error.message).toMatch(
      /was changed \(flag\.create, revision 1\) but the audit log could not record it: disk full/,
    );
    expect(error.hint).toMatch(/shipgate audit verify/);
    expect(await ledger.getFlag("new-checkout")).not.toBeNull();
  });
});
