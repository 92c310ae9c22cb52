import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { type HookContext, hookNames, hookSamples, runHook } from "./hooks.js";

const temps: string[] = [];
function project(): { cwd: string; hooksDir: string } {
  const cwd = mkdtempSync(join(tmpdir(), "shipgate-hooks-"));
  temps.push(cwd);
  const hooksDir = join(cwd, ".shipgate/hooks");
  mkdirSync(hooksDir, { recursive: true });
  return { cwd, hooksDir };
}
afterEach(() => {
  vi.unstubAllEnvs();
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function writeHook(dir: string, file: string, content: string, mode = 0o755): string {
  const path = join(dir, file);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

async function catchAsync(promise: Promise<unknown>): Promise<ShipgateError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ShipgateError);
    return error as ShipgateError;
  }
  throw new Error("expected a ShipgateError");
}

const context: HookContext = {
  environment: "production",
  version: "v2",
  releaseId: "r-0123456789abcdef",
  previousVersion: "v1",
  deployId: "d-42",
  strategy: "canary",
  actor: "alice@laptop",
  url: "https://shop.example.com",
  gitSha: "0123456789abcdef0123456789abcdef01234567",
  reason: "ship the notes field",
};

const variables = [
  "SHIPGATE_HOOK",
  "SHIPGATE_ENVIRONMENT",
  "SHIPGATE_VERSION",
  "SHIPGATE_RELEASE_ID",
  "SHIPGATE_PREVIOUS_VERSION",
  "SHIPGATE_DEPLOY_ID",
  "SHIPGATE_STRATEGY",
  "SHIPGATE_ACTOR",
  "SHIPGATE_URL",
  "SHIPGATE_GIT_SHA",
  "SHIPGATE_REASON",
];

/** A hook printing its whole environment as JSON to env.json in its working directory. */
const dumpEnvSh = `#!/bin/sh
node -e 'require("fs").writeFileSync("env.json", JSON.stringify(process.env))'
`;

function readEnvDump(cwd: string): Record<string, string> {
  return JSON.parse(readFileSync(join(cwd, "env.json"), "utf8")) as Record<string, string>;
}

describe("runHook", () => {
  it("an absent hook does not run", async () => {
    const { cwd, hooksDir } = project();
    writeHook(hooksDir, "pre-deploy.sample", "#!/bin/sh\nexit 1\n");
    expect(await runHook({ name: "pre-deploy", hooksDir, context, cwd })).toEqual({ ran: false });
    expect(await runHook({ name: "pre-deploy", hooksDir: join(cwd, "missing"), context, cwd })).toEqual({
      ran: false,
    });
  });

  it("runs an executable hook in cwd with every SHIPGATE_* variable of the context", async () => {
    const { cwd, hooksDir } = project();
    writeHook(hooksDir, "post-deploy", dumpEnvSh);
    expect(await runHook({ name: "post-deploy", hooksDir, context, cwd })).toEqual({
      ran: true,
      exitCode: 0,
    });
    const env = readEnvDump(cwd);
    expect(env).toMatchObject({
      SHIPGATE_HOOK: "post-deploy",
      SHIPGATE_ENVIRONMENT: "production",
      SHIPGATE_VERSION: "v2",
      SHIPGATE_RELEASE_ID: "r-0123456789abcdef",
      SHIPGATE_PREVIOUS_VERSION: "v1",
      SHIPGATE_DEPLOY_ID: "d-42",
      SHIPGATE_STRATEGY: "canary",
      SHIPGATE_ACTOR: "alice@laptop",
      SHIPGATE_URL: "https://shop.example.com",
      SHIPGATE_GIT_SHA: "0123456789abcdef0123456789abcdef01234567",
      SHIPGATE_REASON: "ship the notes field",
    });
    // shipgate's own environment is there (PATH, HOME…), so tools and CI tokens work.
    expect(env.PATH).toBe(process.env.PATH);
  });

  it("sets missing context values to empty strings", async () => {
    const { cwd, hooksDir } = project();
    writeHook(hooksDir, "pre-deploy.sh", dumpEnvSh);
    await runHook({ name: "pre-deploy", hooksDir, context: { environment: "staging" }, cwd });
    const env = readEnvDump(cwd);
    for (const name of variables) expect(env).toHaveProperty(name);
    expect(env.SHIPGATE_ENVIRONMENT).toBe("staging");
    expect(env.SHIPGATE_PREVIOUS_VERSION).toBe("");
    expect(env.SHIPGATE_GIT_SHA).toBe("");
  });

  it("runs <name>.js and <name>.mjs with node, executable or not", async () => {
    const { cwd, hooksDir } = project();
    writeHook(
      hooksDir,
      "pre-traffic.js",
      'require("fs").writeFileSync("js.txt", process.env.SHIPGATE_HOOK + " " + process.env.SHIPGATE_VERSION);\n',
      0o644,
    );
    expect(await runHook({ name: "pre-traffic", hooksDir, context, cwd })).toEqual({
      ran: true,
      exitCode: 0,
    });
    expect(readFileSync(join(cwd, "js.txt"), "utf8")).toBe("pre-traffic v2");

    writeHook(
      hooksDir,
      "post-rollback.mjs",
      'import { writeFileSync } from "node:fs";\nwriteFileSync("mjs.txt", process.env.SHIPGATE_REASON);\n',
      0o644,
    );
    await runHook({ name: "post-rollback", hooksDir, context, cwd });
    expect(readFileSync(join(cwd, "mjs.txt"), "utf8")).toBe("ship the notes field");
  });

  it("a hook that is not executable is CONFIG_INVALID with a chmod +x hint", async () => {
    const { cwd, hooksDir } = project();
    const path = writeHook(hooksDir, "pre-deploy", "#!/bin/sh\necho hi\n", 0o644);
    const error = await catchAsync(runHook({ name: "pre-deploy", hooksDir, context, cwd }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("not executable");
    expect(error.hint).toContain(`chmod +x ${path}`);
  });

  it("a non-zero exit is COMMAND_FAILED with the exit code and the last output lines", async () => {
    const { cwd, hooksDir } = project();
    writeHook(
      hooksDir,
      "pre-deploy",
      "#!/bin/sh\necho 'checking the freeze calendar'\necho 'release freeze until Monday' >&2\nexit 3\n",
    );
    const lines: string[] = [];
    const error = await catchAsync(
      runHook({ name: "pre-deploy", hooksDir, context, cwd, onLine: (l) => lines.push(l) }),
    );
    expect(error.code).toBe("COMMAND_FAILED");
    expect(error.message).toContain("pre-deploy");
    expect(error.message).toContain("exited with code 3");
    expect(error.details).toEqual(["checking the freeze calendar", "release freeze until Monday"]);
    expect(lines).toEqual(error.details);
    expect(error.hint).toContain("stops the deploy");
  });

  it("a hook running past its time limit is stopped with everything it started", async () => {
    const { cwd, hooksDir } = project();
    writeHook(hooksDir, "post-deploy", "#!/bin/sh\nsleep 30 &\nsleep 30\n");
    const error = await catchAsync(runHook({ name: "post-deploy", hooksDir, context, cwd, timeoutMs: 200 }));
    expect(error.code).toBe("COMMAND_FAILED");
    expect(error.message).toContain("did not finish within 200 ms");
  });

  it("never passes shipgate's secrets or the release env unless the context carries it", async () => {
    const { cwd, hooksDir } = project();
    vi.stubEnv("SHIPGATE_SECRET_KEY", "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=");
    vi.stubEnv("SHIPGATE_LEDGER_URL", "postgres://ledger:pw-ledger@db/ledger");
    writeHook(hooksDir, "post-deploy", `${dumpEnvSh}echo "token=$STRIPE_KEY"\n`);

    await runHook({ name: "post-deploy", hooksDir, context, cwd });
    let env = readEnvDump(cwd);
    expect(env.SHIPGATE_SECRET_KEY).toBeUndefined();
    expect(env.SHIPGATE_LEDGER_URL).toBeUndefined();
    expect(env.STRIPE_KEY).toBeUndefined();

    // Explicitly included: passed, and redacted from the output shipgate shows.
    const lines: string[] = [];
    await runHook({
      name: "post-deploy",
      hooksDir,
      context: { ...context, env: { STRIPE_KEY: "sk_live_release_secret" } },
      cwd,
      onLine: (l) => lines.push(l),
    });
    env = readEnvDump(cwd);
    expect(env.STRIPE_KEY).toBe("sk_live_release_secret");
    expect(lines).toEqual(["token=****"]);
  });
});

describe("hookSamples", () => {
  const samples = hookSamples();

  it("has a commented sh sample for every hook, documenting every variable", () => {
    expect(samples.map((s) => s.name)).toEqual([...hookNames]);
    for (const s of samples) {
      expect(s.file).toBe(`${s.name}.sample`);
      expect(s.content.startsWith("#!/bin/sh\n")).toBe(true);
      for (const v of variables) expect(s.content).toContain(v);
      expect(s.content).toContain("chmod +x");
    }
    const byName = Object.fromEntries(samples.map((s) => [s.name, s.content]));
    expect(byName["post-rollback"]).toMatch(/^# curl .*purge_cache/m);
    expect(byName["pre-deploy"]).toMatch(/^# curl .*\n.*\n.*SLACK_WEBHOOK_URL/m);
  });

  it("every sample is valid sh and runs as a hook once enabled", async () => {
    const { cwd, hooksDir } = project();
    for (const s of samples) {
      const path = writeHook(hooksDir, s.file, s.content);
      execFileSync("sh", ["-n", path]);
      writeHook(hooksDir, s.name, s.content);
      const lines: string[] = [];
      expect(await runHook({ name: s.name, hooksDir, context, cwd, onLine: (l) => lines.push(l) })).toEqual({
        ran: true,
        exitCode: 0,
      });
      expect(lines.join("\n")).toContain("production");
    }
  });
});
