import { beforeAll, describe, expect, it } from "vitest";
import type { Finding } from "../core/finding.js";
import { Catalog } from "./catalog.js";
import { MigrationLinter } from "./lint.js";
import { lintSql } from "./lint-sql.js";
import { decodeSource, loadParser, parseFile } from "./parse.js";
import type { Rule, TransactionModel } from "./rule.js";
import { banDropColumn } from "./rules/ban-drop-column.js";
import { preferIdentity } from "./rules/prefer-identity.js";
import { preferTextField } from "./rules/prefer-text-field.js";
import { requireConcurrentIndexCreation } from "./rules/require-concurrent-index-creation.js";

const schema = "CREATE TABLE users (id bigint PRIMARY KEY, email text, legacy text, other text);";
const rules = [banDropColumn, requireConcurrentIndexCreation];

const at = (findings: Finding[]) => findings.map((f) => `${f.line}:${f.column} ${f.ruleId}`);

beforeAll(async () => {
  await loadParser();
});

describe("parse recovery", () => {
  it("reports a syntax error in statement 2 of 3 at its line and still checks statements 1 and 3", async () => {
    const result = await lintSql(
      "ALTER TABLE users DROP COLUMN legacy;\nALTR TABLE users ADD COLUMN age int;\nALTER TABLE users DROP COLUMN other;",
      { schema, rules },
    );
    expect(at(result.findings)).toEqual(["1:1 ban-drop-column", "2:1 syntax-error", "3:1 ban-drop-column"]);
    expect(result.findings[1]?.message).toContain("ALTR");
  });

  it("classes a file whose only statement does not parse as destructive, on the file and the finding", async () => {
    const result = await lintSql("CREAT TABLE oops (id int);\n", { rules });
    expect(result.class).toBe("destructive");
    expect(result.findings.map((f) => [f.ruleId, f.class])).toEqual([["syntax-error", "destructive"]]);
  });

  it("classes a file destructive when one statement does not parse, even with syntax-error off", async () => {
    const sql = "CREATE TABLE t (id int);\nALTR TABLE t ADD COLUMN age int;";
    expect((await lintSql(sql, { rules })).class).toBe("destructive");
    const off = await lintSql(sql, { rules, ruleSettings: { "syntax-error": "off" } });
    expect(off.findings).toEqual([]);
    expect(off.class).toBe("destructive");
  });

  it("places a syntax error in the middle of a statement at the offending token", async () => {
    const result = await lintSql(
      "SELECT 1;\nALTER TABLE users\n  ADD COLUMN;\nALTER TABLE users DROP COLUMN other;",
      {
        schema,
        rules,
      },
    );
    expect(at(result.findings)).toEqual(["3:13 syntax-error", "4:1 ban-drop-column"]);
  });

  it("places a syntax error after multibyte text at the right line and column", async () => {
    const result = await lintSql("SELECT 1;\n-- café ☕\nSELEC 1;", { rules });
    expect(at(result.findings)).toEqual(["3:1 syntax-error"]);
  });

  it("reports psql meta-commands at their lines and lints the rest", async () => {
    const result = await lintSql(
      "\\set ON_ERROR_STOP on\nALTER TABLE users DROP COLUMN legacy;\n  \\i other.sql\nALTER TABLE users DROP COLUMN other;",
      { schema, rules },
    );
    expect(at(result.findings)).toEqual([
      "1:1 psql-meta-command",
      "2:1 ban-drop-column",
      "3:3 psql-meta-command",
      "4:1 ban-drop-column",
    ]);
  });

  it("reports non-UTF-8 bytes as invalid-utf8 and never throws", async () => {
    const bytes = Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xff, 0x27, 0x3b]);
    const linter = new MigrationLinter({ pgVersion: 15, transactionModel: "none", rules }, new Catalog());
    const result = linter.lint(decodeSource("bad.sql", bytes));
    expect(at(result.findings)).toEqual(["1:9 invalid-utf8"]);
  });

  it("still lints the statements of a file with invalid bytes", async () => {
    const linter = new MigrationLinter({ pgVersion: 15, transactionModel: "none", rules }, new Catalog());
    linter.replay(parseFile({ path: "schema.sql", text: schema }));
    const bytes = Buffer.concat([
      Buffer.from("-- caf"),
      Buffer.from([0xe9]),
      Buffer.from("\nALTER TABLE users DROP COLUMN legacy;\n"),
    ]);
    const result = linter.lint(decodeSource("latin1.sql", bytes));
    expect(at(result.findings)).toEqual(["1:7 invalid-utf8", "2:1 ban-drop-column"]);
  });

  it("does not throw on an unterminated string, and reports it where it starts", async () => {
    const result = await lintSql("ALTER TABLE users DROP COLUMN legacy;\nSELECT 'abc;\nSELECT 2;\n", {
      schema,
      rules,
    });
    const errors = result.findings.filter((f) => f.ruleId === "syntax-error");
    expect(errors.map((f) => `${f.line}:${f.column}`)).toEqual(["2:8"]);
    expect(errors[0]?.message).toMatch(/unterminated quoted string/);
  });

  it("still checks the statements before an unterminated string", async () => {
    const result = await lintSql("ALTER TABLE users DROP COLUMN legacy;\nSELECT 'abc;\n", { schema, rules });
    expect(result.findings.filter((f) => f.ruleId === "ban-drop-column").map((f) => f.line)).toEqual([1]);
  });

  it("gives correct lines and columns after multibyte text", async () => {
    const result = await lintSql(
      "-- naïve 𝄞 ☕ comment\nSELECT 'é', 'ü';  ALTER TABLE users DROP COLUMN legacy;\n  ALTER TABLE users DROP COLUMN other;",
      { schema, rules },
    );
    expect(at(result.findings)).toEqual(["2:19 ban-drop-column", "3:3 ban-drop-column"]);
  });
});

describe("DO blocks", () => {
  it("checks the statements a DO block runs directly and through EXECUTE of a literal", async () => {
    const result = await lintSql(
      "SELECT 1;\nDO $$\nBEGIN\n  ALTER TABLE users DROP COLUMN legacy;\n  EXECUTE 'ALTER TABLE users DROP COLUMN other';\nEND\n$$;",
      { schema, rules },
    );
    expect(at(result.findings)).toEqual(["4:1 ban-drop-column", "5:1 ban-drop-column"]);
  });

  it("approves a DO block's findings with a directive before the DO statement", async () => {
    const result = await lintSql(
      "-- shipgate:allow ban-drop-column reason: cleanup of an unused column\nDO $$ BEGIN ALTER TABLE users DROP COLUMN legacy; END $$;",
      { schema, rules },
    );
    expect(result.findings.map((f) => [f.ruleId, f.suppression?.kind])).toEqual([
      ["ban-drop-column", "inline"],
    ]);
  });
});

describe("inline directives", () => {
  const lint = (sql: string) => lintSql(sql, { schema, rules });

  it("suppresses a finding and keeps it with the suppression", async () => {
    const result = await lint(
      "-- shipgate:allow ban-drop-column reason: x\nALTER TABLE users DROP COLUMN legacy;",
    );
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]?.ruleId).toBe("ban-drop-column");
    expect(result.findings[0]?.suppression).toEqual({ kind: "inline", reason: "x" });
  });

  it("reports a bare directive as invalid-ignore and suppresses nothing", async () => {
    const result = await lint("-- shipgate:allow\nALTER TABLE users DROP COLUMN legacy;");
    expect(at(result.findings)).toEqual(["1:1 invalid-ignore", "2:1 ban-drop-column"]);
    expect(result.findings.every((f) => f.suppression === undefined)).toBe(true);
  });

  it("reports ids without a reason as invalid-ignore", async () => {
    const result = await lint("-- shipgate:allow ban-drop-column\nALTER TABLE users DROP COLUMN legacy;");
    expect(at(result.findings)).toEqual(["1:1 invalid-ignore", "2:1 ban-drop-column"]);
    expect(result.findings[1]?.suppression).toBeUndefined();
  });

  it("reports an unknown rule id as invalid-ignore", async () => {
    const result = await lint(
      "-- shipgate:allow ban-drop-colum reason: typo\nALTER TABLE users DROP COLUMN legacy;",
    );
    expect(at(result.findings)).toEqual(["1:1 invalid-ignore", "2:1 ban-drop-column"]);
    expect(result.findings[0]?.message).toContain("ban-drop-colum");
    expect(result.findings[1]?.suppression).toBeUndefined();
  });

  it("reports a directive that matches nothing as unused-ignore", async () => {
    const result = await lint(
      "-- shipgate:allow ban-drop-column reason: not needed\nALTER TABLE users ADD COLUMN age int;",
    );
    expect(at(result.findings)).toEqual(["1:1 unused-ignore"]);
  });

  it("leaves a directive for verify's findings to verify: neither unknown nor unused", async () => {
    const result = await lint(
      "-- shipgate:allow verify-lock reason: the table is tiny\nALTER TABLE users ADD COLUMN age int;",
    );
    expect(at(result.findings)).toEqual([]);
  });

  it("applies a trailing same-line directive to its statement only", async () => {
    const result = await lint(
      "ALTER TABLE users DROP COLUMN legacy; -- shipgate:allow ban-drop-column reason: x\nALTER TABLE users DROP COLUMN other;",
    );
    expect(result.findings.map((f) => [f.line, f.ruleId, f.suppression?.kind ?? null])).toEqual([
      [1, "ban-drop-column", "inline"],
      [2, "ban-drop-column", null],
    ]);
  });

  it("applies a trailing directive to the statement it trails when a line holds several", async () => {
    const result = await lint(
      "SET lock_timeout = '5s'; ALTER TABLE users DROP COLUMN legacy; -- shipgate:allow ban-drop-column reason: x",
    );
    expect(result.findings.map((f) => [f.ruleId, f.suppression?.kind ?? null])).toEqual([
      ["ban-drop-column", "inline"],
    ]);
  });

  it("allows several ids in one directive, in a block comment", async () => {
    const result = await lint(
      "/* shipgate:allow ban-drop-column, require-concurrent-index-creation reason: small table */\nALTER TABLE users DROP COLUMN legacy;",
    );
    expect(result.findings.map((f) => [f.ruleId, f.suppression?.reason])).toEqual([
      ["ban-drop-column", "small table"],
    ]);
  });
});

describe("file class", () => {
  it("is the most severe statement class", async () => {
    const destructive = await lintSql(
      "CREATE TABLE t (id int);\nCREATE INDEX users_email_idx ON users (email);\nALTER TABLE users DROP COLUMN legacy;",
      { schema, rules },
    );
    expect(destructive.class).toBe("destructive");
    const transformative = await lintSql(
      "CREATE TABLE t (id int);\nCREATE INDEX users_email_idx ON users (email);\nSELECT 1;",
      { schema, rules },
    );
    expect(transformative.class).toBe("transformative");
    const additive = await lintSql(
      "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
      { schema, rules },
    );
    expect(additive.class).toBe("additive");
  });
});

describe("rule selection", () => {
  it("runs opt-in rules only when they are enabled", async () => {
    const sql = "CREATE TABLE t (name varchar(10));";
    const off = await lintSql(sql, { rules: [preferTextField] });
    expect(off.findings).toEqual([]);
    const on = await lintSql(sql, {
      rules: [preferTextField],
      ruleSettings: { "prefer-text-field": "error" },
    });
    expect(on.findings.map((f) => [f.ruleId, f.severity])).toEqual([["prefer-text-field", "error"]]);
  });

  it("skips rules below their minimum Postgres version and turns rules off", async () => {
    const sql = "CREATE TABLE t (id serial);";
    const settings = { "prefer-identity": "warning" } as const;
    expect(
      (await lintSql(sql, { rules: [preferIdentity], ruleSettings: settings, pgVersion: 9 })).findings,
    ).toEqual([]);
    expect((await lintSql(sql, { rules: [preferIdentity], ruleSettings: settings })).findings).toHaveLength(
      1,
    );
    const off = await lintSql("ALTER TABLE users DROP COLUMN legacy;", {
      schema,
      rules,
      ruleSettings: { "ban-drop-column": "off" },
    });
    expect(off.findings).toEqual([]);
  });
});

describe("transaction models", () => {
  /** Reports file.inTransaction for every statement, in order. */
  const probe: Rule = {
    meta: {
      id: "probe",
      description: "Reports the transaction state of every statement.",
      severity: "info",
      messages: { default: "{inTransaction}" },
      help: "Test helper.",
    },
    check: ({ file }) => [{ messageId: "default", data: { inTransaction: String(file.inTransaction) } }],
  };
  const states = async (sql: string, transactionModel: TransactionModel) =>
    (await lintSql(sql, { rules: [probe], transactionModel })).findings.map((f) => f.message === "true");

  it("none: only explicit BEGIN ... COMMIT is a transaction", async () => {
    expect(await states("SELECT 1;\nBEGIN;\nSELECT 2;\nCOMMIT;\nSELECT 3;", "none")).toEqual([
      false,
      false,
      true,
      true,
      false,
    ]);
  });

  it("per-file: the runner's transaction covers every statement", async () => {
    expect(await states("SELECT 1;\nSELECT 2;", "per-file")).toEqual([true, true]);
  });

  it("implicit: a multi-statement file is one transaction, a single statement is not", async () => {
    expect(await states("SELECT 1;\nSELECT 2;", "implicit")).toEqual([true, true]);
    expect(await states("SELECT 1;", "implicit")).toEqual([false]);
  });

  it("a nested BEGIN does not nest: the first COMMIT ends the transaction", async () => {
    expect(await states("BEGIN;\nBEGIN;\nCOMMIT;\nSELECT 1;", "none")).toEqual([false, true, true, false]);
  });

  it("COMMIT AND CHAIN starts the next transaction at once", async () => {
    expect(await states("BEGIN;\nCOMMIT AND CHAIN;\nSELECT 1;\nCOMMIT;\nSELECT 2;", "none")).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });
});
