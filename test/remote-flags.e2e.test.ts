/**
 * `shipgate flags …`, `shipgate audit …` and `shipgate tokens …` against a real team server, end to
 * end: `shipgate serve --port 0` runs as a process over a temp project, role tokens come from the
 * local `shipgate tokens create --role …`, and every command runs as the built CLI with `--server`
 * and SHIPGATE_TOKEN. Its output is compared with the same command run locally on the same ledger;
 * the audit log names the tokens and 127.0.0.1; role refusals keep their exit codes; no token
 * appears in any output but the one-time display of a new one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runShipgate, writeFile } from "./support/cli.js";
import { createRoleToken, type RunningServe, startServe } from "./support/serve.js";

let dir: string;
let serve: RunningServe | undefined;
const serveOutput = () => serve?.output() ?? "";
let serverUrl: string;
const tokens: Record<string, string> = {};
/** Every output of every command (but the one-time display of new tokens), to grep for tokens. */
const outputs: string[] = [];
const removal = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);

async function local(args: string[]): Promise<CliRun> {
  const run = await runShipgate(args, dir, { SHIPGATE_SERVER: "", SHIPGATE_TOKEN: "" });
  outputs.push(run.stdout, run.stderr);
  return run;
}

/** A command on the server, as `who`. */
async function as(who: string, args: string[]): Promise<CliRun> {
  const run = await runShipgate(["--server", serverUrl, ...args], dir, {
    SHIPGATE_SERVER: "",
    SHIPGATE_TOKEN: tokens[who] ?? "",
  });
  outputs.push(run.stdout, run.stderr);
  return run;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "shipgate-remote-flags-"));
  writeFile(
    dir,
    "shipgate.yaml",
    "environments:\n  staging: {}\n  production:\n    access:\n      flags: approver\n",
  );
  tokens.root = await createRoleToken(dir, "admin", "root");
  tokens.dee = await createRoleToken(dir, "deployer", "dee");
  tokens.vic = await createRoleToken(dir, "viewer", "vic");
  serve = await startServe(dir);
  serverUrl = serve.url;
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("shipgate --server flags | audit | tokens (against shipgate serve)", () => {
  it("creates a flag as an admin; a deployer may not (1)", async () => {
    const refused = await as("dee", ["flags", "create", "other", "--owner", "x", "--type", "ops"]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/needs the admin role; the token "dee" has deployer/);

    const created = await as("root", [
      "flags",
      "create",
      "new-checkout",
      "--owner",
      "team-payments",
      "--removal-date",
      removal,
      "--description",
      "One-page checkout",
    ]);
    expect(created.code, created.stderr + serveOutput()).toBe(0);
    expect(created.stdout).toBe(
      `created new-checkout (release, owner team-payments, remove by ${removal}); it is off everywhere until enabled\n`,
    );
    const again = await as("root", [
      "flags",
      "create",
      "new-checkout",
      "--owner",
      "x",
      "--removal-date",
      removal,
    ]);
    expect(again.code).toBe(1); // CONFLICT
    expect(again.stderr).toContain('flag "new-checkout" already exists');
    const invalid = await as("root", ["flags", "create", "search", "--owner", "x"]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('release flag "search" needs a removal date');
  });

  it("enables and rolls out as a deployer; a viewer is refused (1), and so is a deployer where flags need approver", async () => {
    const enabled = await as("dee", ["flags", "enable", "new-checkout", "--environment", "staging"]);
    expect(enabled.code, enabled.stderr + serveOutput()).toBe(0);
    expect(enabled.stdout).toBe(
      "new-checkout staging: on 0%\n  nobody gets it yet (rollout 0%): shipgate flags rollout new-checkout <pct> --environment staging\n",
    );
    const rollout = await as("dee", ["flags", "rollout", "new-checkout", "25", "--environment", "staging"]);
    expect(rollout.code, rollout.stderr).toBe(0);
    expect(rollout.stdout).toBe("new-checkout staging: on 25%\n");
    const unchanged = await as("dee", ["flags", "enable", "new-checkout", "--environment", "staging"]);
    expect(unchanged.stdout).toBe("new-checkout staging: on 25% (unchanged)\n");
    const json = await as("dee", [
      "flags",
      "rules",
      "new-checkout",
      "--environment",
      "staging",
      "--json",
      '[{"attribute":"country","operator":"in","values":["DE"],"serve":{"enabled":true}}]',
      "--format",
      "json",
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      key: "new-checkout",
      environment: "staging",
      action: "rules",
      changed: true,
      after: { enabled: true, rollout: 25, rules: [{ attribute: "country" }], updatedBy: "dee" },
    });
    const badRules = await as("dee", [
      "flags",
      "rules",
      "new-checkout",
      "--environment",
      "staging",
      "--json",
      '[{"attribute":"country","operator":"like","values":["DE"],"serve":{"enabled":true}}]',
    ]);
    expect(badRules.code).toBe(2);
    expect(badRules.stderr).toContain("invalid targeting rules");
    expect(badRules.stderr).toMatch(/ {2}- rules\[0\]\.operator: /);

    const viewer = await as("vic", ["flags", "enable", "new-checkout", "--environment", "staging"]);
    expect(viewer.code).toBe(1); // FORBIDDEN
    expect(viewer.stderr).toMatch(/the token "vic" has viewer/);
    const production = await as("dee", ["flags", "kill", "new-checkout", "--environment", "production"]);
    expect(production.code).toBe(1);
    expect(production.stderr).toMatch(/approver role in production/);
  });

  it("flags list and show print what the local commands print", async () => {
    for (const args of [
      ["flags", "list"],
      ["flags", "list", "--environment", "staging"],
      ["flags", "list", "--format", "json"],
      ["flags", "show", "new-checkout"],
      ["flags", "show", "new-checkout", "--format", "json"],
    ]) {
      const remote = await as("vic", args);
      const here = await local(args);
      expect(remote.code, remote.stderr).toBe(0);
      expect(remote.stdout, args.join(" ")).toBe(here.stdout);
    }
    const list = await as("vic", ["flags", "list"]);
    expect(list.stdout).toMatch(
      /^new-checkout {2}release {2}owner team-payments .* staging: on 25% 1 rule, production: off\n$/,
    );
    const show = await as("vic", ["flags", "show", "new-checkout"]);
    expect(show.stdout).toContain("  One-page checkout\n");
    expect(show.stdout).toMatch(/ {4}\S+ \S+ {2}rollout staging {2}by dee\n/);
    expect(show.stdout).toMatch(/ {4}\S+ \S+ {2}create {2}by root\n/);
    const missing = await as("vic", ["flags", "show", "nope"]);
    expect(missing.code).toBe(2); // NOT_FOUND
  });

  it("audit list shows the changes by the tokens' names from 127.0.0.1; audit verify passes for an admin", async () => {
    const audit = await as("vic", ["audit", "list", "--target", "flag:new-checkout"]);
    expect(audit.code, audit.stderr).toBe(0);
    const lines = audit.stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.replace(/^#\d+ {2}\S+ \S+Z {2}/, ""))).toEqual([
      "flag.create  flag:new-checkout  by root from 127.0.0.1",
      "flag.enable  flag:new-checkout  staging  by dee from 127.0.0.1",
      "flag.rollout  flag:new-checkout  staging  by dee from 127.0.0.1",
      "flag.rules  flag:new-checkout  staging  by dee from 127.0.0.1",
    ]);
    for (const args of [
      ["audit", "list"],
      ["audit", "list", "--after", "1", "--limit", "2", "--format", "json"],
    ]) {
      expect((await as("vic", args)).stdout, args.join(" ")).toBe((await local(args)).stdout);
    }

    const verified = await as("root", ["audit", "verify"]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^audit log intact: \d+ entries verified, hash chain unbroken\n$/);
    const json = await as("root", ["audit", "verify", "--format", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true });
    const viewer = await as("vic", ["audit", "verify"]);
    expect(viewer.code).toBe(1); // FORBIDDEN: verifying needs admin
  });

  it("tokens create over the server prints a working token once; list and revoke work too", async () => {
    const created = await runShipgate(
      ["--server", serverUrl, "tokens", "create", "--role", "viewer", "--name", "eve"],
      dir,
      { SHIPGATE_SERVER: "", SHIPGATE_TOKEN: tokens.root ?? "" },
    );
    expect(created.code, created.stderr).toBe(0);
    outputs.push(created.stderr); // stdout is the one-time display of the token
    const token = created.stdout.trim();
    expect(token).toMatch(/^sg_api_\S+$/);
    expect(created.stderr).toMatch(
      /^created viewer token (tok_\S+) "eve" for every environment; it is shown only once/,
    );
    const id = /created viewer token (\S+)/.exec(created.stderr)?.[1] ?? "";
    tokens.eve = token;

    const works = await as("eve", ["flags", "list", "--environment", "staging"]);
    expect(works.code, works.stderr).toBe(0);
    expect(works.stdout).toContain("new-checkout");

    const refused = await as("dee", ["tokens", "create", "--role", "admin", "--name", "mallory"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");

    const list = await as("root", ["tokens", "list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toBe((await local(["tokens", "list"])).stdout);
    expect(list.stdout).toMatch(/eve +\* +viewer +\S+ \S+ by root +active/);

    const revoked = await as("root", ["tokens", "revoke", id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(
      `revoked ${id} "eve" (viewer, every environment): requests with it get 401 from now on\n`,
    );
    const dead = await as("eve", ["flags", "list"]);
    expect(dead.code).toBe(2); // UNAUTHORIZED
    const rows = await as("vic", ["audit", "list", "--target", `token:${id}`]);
    expect(rows.stdout).toMatch(
      /token\.create .* by root from 127\.0\.0\.1\n.*token\.revoke .* by root from 127\.0\.0\.1\n$/,
    );
  });

  it("archives as an admin; the flag is read-only afterwards", async () => {
    const deployer = await as("dee", ["flags", "archive", "new-checkout"]);
    expect(deployer.code).toBe(1);
    const archived = await as("root", ["flags", "archive", "new-checkout"]);
    expect(archived.code, archived.stderr).toBe(0);
    expect(archived.stdout).toBe("archived new-checkout: off everywhere, read-only; remove it from code\n");
    const enable = await as("dee", ["flags", "enable", "new-checkout", "--environment", "staging"]);
    expect(enable.code).toBe(1); // CONFLICT
    expect(enable.stderr).toContain("archived");
    const list = await as("vic", ["flags", "list", "--archived"]);
    expect(list.stdout).toBe((await local(["flags", "list", "--archived"])).stdout);
    expect(list.stdout).toContain("ARCHIVED");
  });

  it("never prints a token", () => {
    const all = outputs.join("\n") + serveOutput();
    for (const token of Object.values(tokens)) expect(all.includes(token)).toBe(false);
  });
});
