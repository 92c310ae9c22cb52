/**
 * End-to-end: `shipgate env verify` and `shipgate env example` as real processes on a temporary git
 * repository whose env schema is a TypeScript module importing `shipgate/env` (linked to this
 * package's build). `npm test` builds dist/ first.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseDotenv } from "dotenv";
import { beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runShipgate as shipgate, writeFile as write } from "./support/cli.js";

const root = join(import.meta.dirname, "..");

// Values that must never appear in any output.
const dbPassword = "pw_DB_SECRET_5e4d3c";
const stripeKey = "sk_live_VERIFY_SECRET_77aa";
const invalidPort = "PORT_VALUE_NOT_A_NUMBER";

function expectNoSecrets(r: CliRun): void {
  for (const value of [dbPassword, stripeKey, invalidPort]) {
    expect(r.stdout).not.toContain(value);
    expect(r.stderr).not.toContain(value);
  }
}

const schemaModule = `import { env } from "shipgate/env";

export const envSchema = {
  DATABASE_URL: env.url({ description: "Postgres connection string", secret: true, example: "postgres://app@localhost:5432/app" }),
  PORT: env.port({ default: 3000, description: "HTTP port" }),
  LOG_LEVEL: env.enum(["debug", "info"], { default: "info" }),
  SENTRY_DSN: env.url({ optional: true }),
};
`;

function makeProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-env-verify-"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(root, join(dir, "node_modules/shipgate"), "dir");
  write(
    dir,
    "shipgate.yaml",
    [
      "env:",
      "  schema: src/env.schema.ts",
      "environments:",
      "  production:",
      "    env:",
      "      dotenv: deploy/production.env",
      "  staging:",
      "    env:",
      '      command: "cat deploy/staging.env"',
      "",
    ].join("\n"),
  );
  write(dir, "src/env.schema.ts", schemaModule);
  write(
    dir,
    "src/pay.ts",
    "export const key = process.env.STRIPE_KEY;\nexport const region = process.env.REGION ?? 'eu';\n",
  );
  write(dir, "worker/tasks.py", "import os\n\nqueue = os.environ['QUEUE_URL']\n");
  write(dir, "test/setup.test.ts", "export const ci = process.env.CI_ONLY;\n");
  write(dir, ".gitignore", "node_modules/\ndeploy/\n");
  // Production lacks DATABASE_URL (schema) and QUEUE_URL (code), and PORT is not a port.
  write(dir, "deploy/production.env", `STRIPE_KEY=${stripeKey}\nPORT=${invalidPort}\nDATABASE_URL=\n`);
  write(
    dir,
    "deploy/staging.env",
    `DATABASE_URL=postgres://app:${dbPassword}@db:5432/app\nSTRIPE_KEY=${stripeKey}\nQUEUE_URL=amqp://q\n`,
  );
  execFileSync("git", ["init", "-q"], { cwd: dir });
  return dir;
}

describe("shipgate env verify (built CLI)", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeProject();
  });

  it("lists every missing and invalid variable by name, with where it is required, and fails", async () => {
    const r = await shipgate(["env", "verify", "production", "--format", "json"], dir);
    expect(r.code).toBe(1);
    expectNoSecrets(r);
    const { findings } = JSON.parse(r.stdout) as {
      findings: { ruleId: string; message: string; file?: string; line?: number }[];
    };
    const byRule = (id: string) => findings.filter((f) => f.ruleId === id);
    expect(byRule("env-missing").map((f) => f.message.split(" ")[0])).toEqual(["DATABASE_URL", "QUEUE_URL"]);
    const db = byRule("env-missing").find((f) => f.message.startsWith("DATABASE_URL"));
    expect(db?.message).toContain("defined but empty");
    expect(db?.message).toContain("Postgres connection string");
    const queue = byRule("env-missing").find((f) => f.message.startsWith("QUEUE_URL"));
    expect(queue).toMatchObject({ file: "worker/tasks.py", line: 3 });
    expect(byRule("env-invalid")).toHaveLength(1);
    expect(byRule("env-invalid")[0]?.message).toMatch(/^PORT is set in production .* expected/);
    // Reads with a default, optional schema entries and test files require nothing.
    for (const name of ["REGION", "SENTRY_DSN", "CI_ONLY", "LOG_LEVEL"]) {
      expect(r.stdout).not.toContain(name);
    }
  });

  it("passes with a summary when the environment is complete (source: a command)", async () => {
    const r = await shipgate(["env", "verify", "staging"], dir);
    expectNoSecrets(r);
    expect(r.stdout).toContain("staging (command `cat …`): 3 required; every required variable is defined");
    expect(r.code).toBe(0);
  });

  it("reads the process environment or a dotenv file given on the command line", async () => {
    const processEnv = {
      DATABASE_URL: `postgres://app:${dbPassword}@db/app`,
      STRIPE_KEY: stripeKey,
      QUEUE_URL: "amqp://q",
    };
    const ok = await shipgate(["env", "verify", "anything", "--process-env"], dir, processEnv);
    expect(ok.code).toBe(0);
    expectNoSecrets(ok);
    // A name shipgate.yaml does not declare passes, with a warning that catches a typo.
    expect(ok.stdout).toContain(
      'environment "anything" is not declared in shipgate.yaml (declared: production, staging); verified with the given source anyway',
    );
    const typo = await shipgate(
      ["env", "verify", "prodution", "--process-env", "--format", "json"],
      dir,
      processEnv,
    );
    expect(typo.code).toBe(0);
    const findings = (JSON.parse(typo.stdout) as { findings: { ruleId: string; severity: string }[] })
      .findings;
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: "env-undeclared-environment", severity: "warning" }),
    ]);
    const declared = await shipgate(
      ["env", "verify", "production", "--process-env", "--format", "json"],
      dir,
      processEnv,
    );
    expect((JSON.parse(declared.stdout) as { findings: unknown[] }).findings).toEqual([]);
    const missing = await shipgate(
      ["env", "verify", "production", "--dotenv", "deploy/staging.env", "--process-env"],
      dir,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("exclusive");
  });

  it("does not show what a failing source command printed (it can hold secrets)", async () => {
    const r = await shipgate(
      ["env", "verify", "staging", "--command", "cat deploy/staging.env >&2; exit 3"],
      dir,
    );
    expect(r.code).toBe(2);
    expectNoSecrets(r);
    expect(r.stderr).toContain("source command failed");
    expect(r.stderr).toContain("hint: Run the command yourself");
  });

  it("explains an environment that is not declared", async () => {
    const r = await shipgate(["env", "verify", "prod"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environment "prod" is not declared');
    expect(r.stderr).toContain("Declared environments: production, staging");
  });
});

describe("shipgate env example (built CLI)", () => {
  it("writes .env.example from the schema, and --check tells when it is stale", async () => {
    const dir = makeProject();
    const first = await shipgate(["env", "example"], dir);
    expect(first.stdout).toBe("wrote .env.example: 4 variables, 1 secret left empty\n");
    const text = readFileSync(join(dir, ".env.example"), "utf8");
    // Round trip: dotenv reads back every schema key; the secret is empty, examples and defaults filled.
    expect(parseDotenv(text)).toEqual({ DATABASE_URL: "", PORT: "3000", LOG_LEVEL: "info", SENTRY_DSN: "" });
    expect(text).toContain("# Postgres connection string");
    expect((await shipgate(["env", "example", "--check"], dir)).code).toBe(0);

    write(dir, "src/env.schema.ts", schemaModule.replace("SENTRY_DSN", "SENTRY_URL"));
    const stale = await shipgate(["env", "example", "--check"], dir);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain("missing: SENTRY_URL; not in the schema: SENTRY_DSN");
    // The audit reports the drift too, and a read the schema does not validate.
    const audit = await shipgate(["env", "audit", "--format", "json"], dir);
    const ids = (JSON.parse(audit.stdout) as { findings: { ruleId: string; message: string }[] }).findings;
    expect(ids.some((f) => f.ruleId === "env-example-stale")).toBe(true);
    expect(ids.some((f) => f.ruleId === "env-unvalidated-read" && f.message.includes("STRIPE_KEY"))).toBe(
      true,
    );
    expect(ids.some((f) => f.ruleId === "env-unvalidated-read" && f.message.includes("REGION"))).toBe(false);
  });

  it("refuses a schema module that validates the environment on import, without exiting", async () => {
    const dir = makeProject();
    write(
      dir,
      "src/config.ts",
      `import { defineEnvOrExit } from "shipgate/env";\nimport { envSchema } from "./env.schema.ts";\nexport const config = defineEnvOrExit(envSchema);\n`,
    );
    const r = await shipgate(["env", "example", "--schema", "src/config.ts#envSchema"], dir, {
      DATABASE_URL: "",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("exited while being imported");
    expect(r.stderr).toContain("hint: Declare the schema in a module of its own");
    const none = await shipgate(["env", "example", "--schema", "src/pay.ts"], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("has no export named envSchema or default");
  });
});
