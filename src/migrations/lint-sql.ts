/** Lints a SQL string against an optional schema: the programmatic entry for tests and the API. */
import { Catalog } from "./catalog.js";
import { type FileLintResult, type LintOptions, MigrationLinter } from "./lint.js";
import { loadParser, parseFile } from "./parse.js";
import type { Rule, TransactionModel } from "./rule.js";
import { allRules } from "./rules/index.js";

export interface LintSqlOptions {
  /** SQL that ran before (earlier migrations or a schema dump). */
  schema?: string;
  pgVersion?: number;
  transactionModel?: TransactionModel;
  rules?: readonly Rule[];
  ruleSettings?: LintOptions["ruleSettings"];
  path?: string;
}

export async function lintSql(sql: string, options: LintSqlOptions = {}): Promise<FileLintResult> {
  await loadParser();
  const linter = new MigrationLinter(
    {
      pgVersion: options.pgVersion ?? 15,
      transactionModel: options.transactionModel ?? "none",
      rules: options.rules ?? allRules,
      ruleSettings: options.ruleSettings ?? {},
    },
    new Catalog(),
  );
  if (options.schema) linter.replay(parseFile({ path: "schema.sql", text: options.schema }));
  return linter.lint({ path: options.path ?? "migration.sql", text: sql });
}
