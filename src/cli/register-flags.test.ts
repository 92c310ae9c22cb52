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
import type { FlagEnvironmentState } from "../flags/types.js";
import { stateNote } from "./register-flags.js";

let dir: string;
const sg = (...argv: string[]) => runCliIn(dir, argv, { NO_COLOR: "1", SHIPGATE_ACTOR: "alice" });

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
