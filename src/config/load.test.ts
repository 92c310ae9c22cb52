import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode, ShipgateError } from "../core/errors.js";
import { findConfigFile, loadConfig, parseConfig } from "./load.js";
import { resolveMigrations } from "./resolve.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "shipgate-config-"));
}

function captureError(fn: () => unknown): ShipgateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ShipgateError) return error;
    throw error;
  }
  throw new Error("expected a ShipgateError");
}

describe("config loading", () => {
  it("finds shipgate.yaml by walking up from a subdirectory", () => {
    const root = tempDir();
    mkdirSync(join(root, "a/b"), { recursive: true });
    writeFileSync(join(root, "shipgate.yaml"), "migrations:\n  pgVersion: 14\n");
    expect(findConfigFile(join(root, "a/b"))).toBe(join(root, "shipgate.yaml"));
    const loaded = loadConfig({ cwd: join(root, "a/b") });
    expect(loaded.config.migrations.pgVersion).toBe(14);
    expect(loaded.dir).toBe(root);
  });

  it("uses defaults when no file exists", () => {
    const loaded = loadConfig({ cwd: tempDir() });
    expect(loaded.path).toBeUndefined();
    expect(loaded.config.migrations).toMatchObject({
      pgVersion: 15,
      framework: "auto",
      rules: {},
      approvals: [],
    });
  });

  it("--config overrides discovery and must exist", () => {
    const root = tempDir();
    writeFileSync(join(root, "other.yaml"), "migrations:\n  pgVersion: 16\n");
    expect(loadConfig({ cwd: root, configPath: "other.yaml" }).config.migrations.pgVersion).toBe(16);
    const error = captureError(() => loadConfig({ cwd: root, configPath: "missing.yaml" }));
    expect(error.code).toBe("CONFIG_NOT_FOUND");
    expect(error.exitCode).toBe(ExitCode.usage);
  });

  it("reports every problem with its path, never a silent default", () => {
    const error = captureError(() =>
      parseConfig(
        {
          migrations: {
            pgVersion: "fifteen",
            transaction: "sometimes",
            approvals: [{ rule: "x", file: "a.sql" }],
          },
          extra: 1,
        },
        "shipgate.yaml",
      ),
    );
    expect(error.code).toBe("CONFIG_INVALID");
    const text = error.details.join("\n");
    expect(text).toContain("migrations.pgVersion");
    expect(text).toContain("migrations.transaction");
    expect(text).toContain("migrations.approvals[0].reason");
    expect(text).toContain('"extra"');
    expect(error.hint).toBeDefined();
  });

  it("names the rules command in the hint only for rule-id problems", () => {
    const keys = captureError(() => parseConfig({ extra: 1 }, "shipgate.yaml"));
    expect(keys.hint).not.toContain("migrations rules");
    expect(keys.hint).toContain("docs/config.md");
    const rules = captureError(() =>
      parseConfig({ migrations: { rules: { nope: "off" } } }, "shipgate.yaml", new Set(["x"])),
    );
    expect(rules.hint).toContain("`shipgate migrations rules` lists the rule ids");
  });

  it("refuses a command target with nothing to probe: no url and no previewUrl", () => {
    const target = { type: "command", deploy: "d", switch: "s", rollback: "r" };
    const error = captureError(() =>
      parseConfig({ environments: { production: { target } } }, "shipgate.yaml"),
    );
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.details).toEqual([
      expect.stringMatching(/^environments\.production\.url: required with a command target/),
    ]);
    expect(() =>
      parseConfig({ environments: { production: { url: "https://app.example.com", target } } }, "t"),
    ).not.toThrow();
    expect(() =>
      parseConfig(
        { environments: { production: { target: { ...target, previewUrl: "http://127.0.0.1:9000" } } } },
        "t",
      ),
    ).not.toThrow();
  });

  it("rejects unknown rule ids in rules and approvals", () => {
    const known = new Set(["ban-drop-column"]);
    const error = captureError(() =>
      parseConfig(
        {
          migrations: {
            rules: { "no-such-rule": "off" },
            approvals: [{ rule: "nope", file: "a.sql", reason: "fine" }],
          },
        },
        "shipgate.yaml",
        known,
      ),
    );
    expect(error.details).toEqual([
      "migrations.rules.no-such-rule: unknown rule id",
      'migrations.approvals[0].rule: unknown rule id "nope"',
    ]);
  });

  it("reports YAML syntax errors as config errors", () => {
    const root = tempDir();
    writeFileSync(join(root, "shipgate.yaml"), "migrations: [unclosed\n");
    expect(captureError(() => loadConfig({ cwd: root })).code).toBe("CONFIG_INVALID");
  });
});

describe("precedence: defaults < file < env < flags", () => {
  const config = parseConfig({ migrations: { pgVersion: 13, paths: ["db"] } }, "test");

  it("takes the file over defaults, env over the file, and flags over env", () => {
    const choices = ["sql", "auto"] as const;
    expect(resolveMigrations(config.migrations, "/p", "/p", {}, {}, choices).pgVersion).toBe(13);
    expect(
      resolveMigrations(config.migrations, "/p", "/p", { SHIPGATE_PG_VERSION: "14" }, {}, choices).pgVersion,
    ).toBe(14);
    expect(
      resolveMigrations(
        config.migrations,
        "/p",
        "/p",
        { SHIPGATE_PG_VERSION: "14" },
        { pgVersion: "16" },
        choices,
      ).pgVersion,
    ).toBe(16);
  });

  it("resolves config paths against the config directory and flag paths against cwd", () => {
    const choices = ["sql", "auto"] as const;
    expect(resolveMigrations(config.migrations, "/p", "/p/sub", {}, {}, choices).paths).toEqual(["/p/db"]);
    expect(resolveMigrations(config.migrations, "/p", "/p/sub", {}, { paths: ["m"] }, choices).paths).toEqual(
      ["/p/sub/m"],
    );
  });

  it("refuses paths together with --sql-from, and lets paths override a configured sqlFrom", () => {
    const choices = ["sql", "auto"] as const;
    const withSqlFrom = parseConfig({ migrations: { sqlFrom: "alembic upgrade head --sql" } }, "test");
    expect(
      captureError(() =>
        resolveMigrations(
          withSqlFrom.migrations,
          "/p",
          "/p",
          {},
          { paths: ["m"], sqlFrom: "cat x.sql" },
          choices,
        ),
      ).code,
    ).toBe("USAGE");
    expect(
      resolveMigrations(withSqlFrom.migrations, "/p", "/p", {}, { paths: ["m"] }, choices).sqlFrom,
    ).toBeUndefined();
    expect(resolveMigrations(withSqlFrom.migrations, "/p", "/p", {}, {}, choices).sqlFrom).toBe(
      "alembic upgrade head --sql",
    );
  });

  it("rejects an unparsable version instead of defaulting", () => {
    const choices = ["sql", "auto"] as const;
    const error = captureError(() =>
      resolveMigrations(config.migrations, "/p", "/p", { SHIPGATE_PG_VERSION: "latest" }, {}, choices),
    );
    expect(error.code).toBe("USAGE");
    expect(error.message).toContain("SHIPGATE_PG_VERSION");
  });
});
