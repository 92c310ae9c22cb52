/**
 * `shipgate flags …` through runCli on a SQLite ledger in a temporary directory: the exit codes the
 * help states, and the notes a change prints when its line alone would mislead.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliIn } from "../../test/support/cli.js";
import { ExitCode } from "../core/errors.js";
import type { FlagAuditEntry, FlagEnvironmentState } from "../flags/types.js";
import { auditActionLabel, stateNote } from "./register-flags.js";

let dir: string;
const sg = (...argv: string[]) => runCliIn(dir, argv, { NO_COLOR: "1", SHIPGATE_ACTOR: "alice" });
/** The CLI with more environment variables (SHIPGATE_FORMAT, GITHUB_ACTIONS). */
const sgWith = (env: NodeJS.ProcessEnv, ...argv: string[]) =>
  runCliIn(dir, argv, { NO_COLOR: "1", SHIPGATE_ACTOR: "alice", ...env });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-cli-flags-"));
  writeFileSync(join(dir, "shipgate.yaml"), "environments:\n  staging: {}\n  production: {}\n");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("shipgate flags create", () => {
  it("exits 1 on an existing key, as its help says (2 is invalid input)", async () => {
    const create = ["flags", "create", "payments-kill", "--owner", "team-payments", "--type", "kill-switch"];
    expect((await sg(...create)).code).toBe(ExitCode.ok);
    const again = await sg(...create);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('flag "payments-kill" already exists');
    expect((await sg("flags", "create", "Bad!", "--owner", "x", "--type", "ops")).code).toBe(2);
    const help = await sg("flags", "create", "--help");
    expect(help.stdout).toContain(
      "Exit codes: 0 created, 1 the key exists (keys are never reused), 2 invalid input.",
    );
  });
});

describe("notes after a change", () => {
  beforeEach(async () => {
    expect(
      (await sg("flags", "create", "new-checkout", "--owner", "team-payments", "--type", "ops")).code,
    ).toBe(ExitCode.ok);
  });

  it("enable at 0% says nobody gets it yet and names the rollout command", async () => {
    const { code, stdout } = await sg("flags", "enable", "new-checkout", "--environment", "production");
    expect(code).toBe(ExitCode.ok);
    expect(stdout).toBe(
      "new-checkout production: on 0%\n" +
        "  nobody gets it yet (rollout 0%): shipgate flags rollout new-checkout <pct> --environment production\n",
    );
    const rollout = await sg("flags", "rollout", "new-checkout", "25", "--environment", "production");
    expect(rollout.stdout).toBe("new-checkout production: on 25%\n");
  });

  it("a rollout on a disabled flag says it takes effect once enabled", async () => {
    const { stdout } = await sg("flags", "rollout", "new-checkout", "25", "--environment", "staging");
    expect(stdout).toBe(
      "new-checkout staging: off 25%\n" +
        "  it takes effect once enabled: shipgate flags enable new-checkout --environment staging\n",
    );
    // --format json stays the result alone.
    const json = await sg(
      "flags",
      "rollout",
      "new-checkout",
      "30",
      "--environment",
      "staging",
      "--format",
      "json",
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ key: "new-checkout", changed: true });
  });
});

describe("the output format", () => {
  beforeEach(async () => {
    expect(
      (await sg("flags", "create", "new-checkout", "--owner", "team-payments", "--type", "ops")).code,
    ).toBe(ExitCode.ok);
  });

  it("takes $SHIPGATE_FORMAT when --format is not given, like every other command", async () => {
    const json = { SHIPGATE_FORMAT: "json" };
    const enabled = await sgWith(json, "flags", "enable", "new-checkout", "--environment", "staging");
    expect(enabled.code).toBe(ExitCode.ok);
    expect(JSON.parse(enabled.stdout)).toMatchObject({
      key: "new-checkout",
      action: "enable",
      changed: true,
    });
    const list = await sgWith(json, "flags", "list");
    expect(JSON.parse(list.stdout)).toMatchObject([{ definition: { key: "new-checkout" } }]);
    const show = await sgWith(json, "flags", "show", "new-checkout");
    expect(JSON.parse(show.stdout)).toMatchObject({ definition: { key: "new-checkout" } });
    // --format overrides it.
    const pretty = await sgWith(json, "flags", "list", "--format", "pretty");
    expect(pretty.stdout).toMatch(/^new-checkout {2}ops {2}owner team-payments/);
  });

  it("stays pretty by default, also under GitHub Actions", async () => {
    const { stdout } = await sgWith({ GITHUB_ACTIONS: "true" }, "flags", "list");
    expect(stdout).toMatch(/^new-checkout {2}ops/);
  });

  it("reads a findings format in $SHIPGATE_FORMAT as pretty, and refuses an unknown one before changing anything", async () => {
    const sarif = await sgWith({ SHIPGATE_FORMAT: "sarif" }, "flags", "list");
    expect(sarif.code).toBe(ExitCode.ok);
    expect(sarif.stdout).toMatch(/^new-checkout {2}ops/);
    const xml = await sgWith(
      { SHIPGATE_FORMAT: "xml" },
      "flags",
      "enable",
      "new-checkout",
      "--environment",
      "staging",
    );
    expect(xml.code).toBe(ExitCode.usage);
    expect(xml.stderr).toContain('unknown format "xml" in $SHIPGATE_FORMAT');
    expect(xml.stdout).toBe("");
    const show = await sg("flags", "show", "new-checkout", "--format", "json");
    expect(JSON.parse(show.stdout).states).toEqual([
      { environment: "staging", state: null },
      { environment: "production", state: null },
    ]);
    const flag = await sg("flags", "list", "--format", "xml");
    expect(flag.code).toBe(ExitCode.usage);
    expect(flag.stderr).toMatch(/pretty, json/);
  });
});

describe("shipgate flags show", () => {
  it("names rule and variant changes in the history", async () => {
    await sg("flags", "create", "checkout-button", "--owner", "team-payments", "--type", "experiment");
    const variants = '[{"name":"blue","weight":50},{"name":"green","weight":50}]';
    const rules =
      '[{"attribute":"plan","operator":"eq","values":["pro"],"serve":{"enabled":true,"variant":"blue"}}]';
    const env = ["--environment", "production"];
    expect((await sg("flags", "variants", "checkout-button", ...env, "--json", variants)).code).toBe(
      ExitCode.ok,
    );
    expect((await sg("flags", "rules", "checkout-button", ...env, "--json", rules)).code).toBe(ExitCode.ok);
    const { stdout } = await sg("flags", "show", "checkout-button");
    const history = stdout.split("audit (newest first):\n")[1]?.split("\n").filter(Boolean) ?? [];
    expect(history.map((line) => line.trim().split(/ {2}/)[1])).toEqual([
      "rules production",
      "variants production",
      "create",
    ]);
  });
});

describe("shipgate flags rules", () => {
  it("refuses rules serving a variant the flag does not have, exit 2, naming `flags variants`", async () => {
    await sg("flags", "create", "checkout-button", "--owner", "team-payments", "--type", "experiment");
    const rules =
      '[{"attribute":"plan","operator":"eq","values":["pro"],"serve":{"enabled":true,"variant":"blue"}}]';
    const res = await sg("flags", "rules", "checkout-button", "--environment", "production", "--json", rules);
    expect(res.code).toBe(ExitCode.usage);
    expect(res.stderr).toContain('does not have in production: "blue"');
    expect(res.stderr).toContain("shipgate flags variants checkout-button --environment production");
  });
});

describe("auditActionLabel", () => {
  const entry = (action: FlagAuditEntry["action"], before: unknown, after: unknown): FlagAuditEntry => ({
    id: "a",
    flagKey: "f",
    environment: "production",
    action,
    actor: "alice",
    at: "2026-01-01T00:00:00.000Z",
    before,
    after,
  });
  const rule = { attribute: "plan", operator: "eq", values: ["pro"], serve: { enabled: true } };

  it("names an old ledger's 'update' rows by what changed, and leaves the others as recorded", () => {
    expect(auditActionLabel(entry("rules", null, {}))).toBe("rules");
    expect(auditActionLabel(entry("enable", null, {}))).toBe("enable");
    expect(auditActionLabel(entry("update", null, { rules: [rule], variants: [] }))).toBe("rules");
    expect(
      auditActionLabel(
        entry(
          "update",
          { rules: [rule], variants: [] },
          { rules: [rule], variants: [{ name: "a", weight: 1 }] },
        ),
      ),
    ).toBe("variants");
    expect(auditActionLabel(entry("update", { rules: [], variants: [] }, { rules: [], variants: [] }))).toBe(
      "update",
    );
    expect(auditActionLabel(entry("update", null, "not a state"))).toBe("update");
  });
});

describe("stateNote", () => {
  const state = (over: Partial<FlagEnvironmentState>): FlagEnvironmentState => ({
    flagKey: "f",
    environment: "production",
    enabled: true,
    rollout: 0,
    rules: [],
    variants: [],
    killed: false,
    stickiness: "userId",
    updatedAt: "2026-01-01T00:00:00.000Z",
    updatedBy: "a",
    rolloutChangedAt: "2026-01-01T00:00:00.000Z",
    ...over,
  });

  it("says rules and variants on a disabled flag take effect once enabled", () => {
    for (const action of ["rules", "variants"] as const) {
      expect(stateNote("f", action, state({ enabled: false }))).toMatch(/takes effect once enabled/);
    }
  });

  it("stays quiet when the line says it all", () => {
    expect(stateNote("f", "enable", state({ rollout: 10 }))).toBeNull();
    expect(stateNote("f", "kill", state({ killed: true }))).toBeNull();
    expect(stateNote("f", "disable", state({ enabled: false, rollout: 50 }))).toBeNull();
    expect(
      stateNote(
        "f",
        "enable",
        state({
          rules: [{ attribute: "country", operator: "in", values: ["DE"], serve: { enabled: true } }],
        }),
      ),
    ).toBeNull();
  });
});
