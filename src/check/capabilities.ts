/**
 * Checks that run shipgate's own capabilities on the change: the migration linter on the migrations
 * added or changed since the base, the env audit in diff mode, env verify for the target
 * environment, and the manual items a person confirms.
 */
import { ShipgateError } from "../core/errors.js";
import { type Finding, failingFindings } from "../core/finding.js";
import { plural } from "../core/plural.js";
import { lintChangeMigrationsOnce } from "./change-migrations.js";
import { type Check, type CheckContext, type CheckItem, whyNoBase } from "./types.js";

function statusOf(findings: readonly Finding[]): "pass" | "fail" {
  return failingFindings(findings).length > 0 ? "fail" : "pass";
}

/** "1 error, 2 warnings, 1 approved": what an item's findings are, by what they mean for the gate. */
export function countedFindings(findings: readonly Finding[]): string | undefined {
  if (findings.length === 0) return undefined;
  const errors = failingFindings(findings).length;
  const approved = findings.filter((f) => f.suppression !== undefined).length;
  const warnings = findings.filter((f) => f.severity === "warning" && f.suppression === undefined).length;
  const infos = findings.length - errors - approved - warnings;
  return [
    errors > 0 ? plural(errors, "error") : "",
    warnings > 0 ? plural(warnings, "warning") : "",
    infos > 0 ? plural(infos, "info") : "",
    approved > 0 ? `${approved} approved` : "",
  ]
    .filter(Boolean)
    .join(", ");
}

export const migrationsCheck: Check = {
  id: "migrations",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    const base = { id: "migrations.lint", group: "data" as const, title: "Migrations pass the linter" };
    // One lint run per check: the rollback-readiness item reads the same result.
    const result = await lintChangeMigrationsOnce(ctx);
    if (!result) {
      return [{ ...base, status: "skipped", detail: "no migrations in this repository", findings: [] }];
    }
    const files = result.report.files.length;
    const detail = countedFindings(result.report.findings) ?? `${files} migration files checked`;
    return [{ ...base, status: statusOf(result.report.findings), detail, findings: result.report.findings }];
  },
};

/**
 * Verify on a real Postgres, when one is configured for it (SHIPGATE_DATABASE_URL: a shadow
 * database; verify rolls back). Its item holds what Postgres observed (verify-* findings); the
 * static findings stay with migrations.lint.
 */
export const migrationsVerifyCheck: Check = {
  id: "migrations-verify",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    const base = {
      id: "migrations.verify",
      group: "data" as const,
      title: "Migrations verified on a real Postgres",
    };
    const url = ctx.env.SHIPGATE_DATABASE_URL;
    if (!url) {
      return [
        {
          ...base,
          status: "skipped",
          detail: "no database configured (SHIPGATE_DATABASE_URL, a shadow database)",
          findings: [],
        },
      ];
    }
    const { runMigrationsVerify } = await import("../cli/commands/migrations-verify.js");
    try {
      const result = await runMigrationsVerify({
        cwd: ctx.cwd,
        env: ctx.env,
        paths: [],
        databaseUrl: url,
        ...(ctx.base ? { since: ctx.base } : {}),
        ...(ctx.environment ? { environment: ctx.environment } : {}),
        ...(ctx.configPath ? { configPath: ctx.configPath } : {}),
      });
      const observed = result.report.findings.filter((f) => f.ruleId.startsWith("verify-"));
      return [
        {
          ...base,
          status: statusOf(observed),
          detail: countedFindings(observed) ?? `${result.trace.files.length} migration files observed`,
          findings: observed,
        },
      ];
    } catch (error) {
      if (error instanceof ShipgateError && error.message === "no migrations directory found") {
        return [{ ...base, status: "skipped", detail: "no migrations in this repository", findings: [] }];
      }
      throw error;
    }
  },
};

export const envCheck: Check = {
  id: "env",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    const items: CheckItem[] = [];
    const newly = {
      id: "env.newly-required",
      group: "application" as const,
      title: "Variables the change makes required are known",
    };
    if (ctx.base === undefined) {
      items.push({
        ...newly,
        status: "skipped",
        detail: whyNoBase(ctx),
        findings: [],
      });
    } else {
      const t0 = performance.now();
      const { runEnvAudit } = await import("../cli/commands/env-audit.js");
      const audit = await runEnvAudit({
        cwd: ctx.cwd,
        paths: [],
        ...(ctx.configPath ? { configPath: ctx.configPath } : {}),
        since: ctx.base,
      });
      const newlyRequired = audit.report.findings.filter((f) => f.ruleId === "env-newly-required");
      items.push({
        ...newly,
        // A variable newly required is a fact to act on (it must exist in the target): verify checks
        // that it does. Without a target environment it fails the gate, as the audit does.
        status: statusOf(audit.report.findings),
        ...(newlyRequired.length > 0
          ? {
              detail: `newly required: ${newlyRequired.map((f) => /^(\S+)/.exec(f.message)?.[1] ?? "?").join(", ")}`,
            }
          : {}),
        findings: audit.report.findings,
        durationMs: performance.now() - t0,
      });
    }
    const verify = {
      id: "env.verify",
      group: "application" as const,
      title: "The target environment defines every required variable",
    };
    const declared = ctx.environment === undefined ? undefined : ctx.config.environments[ctx.environment];
    if (ctx.environment === undefined) {
      items.push({
        ...verify,
        status: "skipped",
        detail: "no target environment (--environment)",
        findings: [],
      });
    } else if (declared?.env === undefined) {
      items.push({
        ...verify,
        status: "skipped",
        detail: `environments.${ctx.environment}.env is not configured`,
        findings: [],
      });
    } else {
      const t0 = performance.now();
      const { runEnvVerify } = await import("../cli/commands/env-verify.js");
      const result = await runEnvVerify({
        cwd: ctx.cwd,
        env: ctx.env,
        ...(ctx.configPath ? { configPath: ctx.configPath } : {}),
        environment: ctx.environment,
        paths: [],
      });
      const { summary } = result;
      items.push({
        ...verify,
        status: result.failed ? "fail" : "pass",
        detail: `${summary.required} required from ${summary.source}${summary.missing.length > 0 ? `; missing: ${summary.missing.join(", ")}` : ""}${summary.invalid.length > 0 ? `; invalid: ${summary.invalid.join(", ")}` : ""}`,
        findings: result.report.findings,
        durationMs: performance.now() - t0,
      });
      // When the environment has every variable, the newly required ones are satisfied.
      const newlyItem = items.find((i) => i.id === "env.newly-required");
      if (newlyItem && newlyItem.status === "fail" && !result.failed) {
        newlyItem.status = "pass";
        newlyItem.detail = `${newlyItem.detail ?? ""} (all defined in ${ctx.environment})`.trim();
        newlyItem.findings = newlyItem.findings.map((f) =>
          f.ruleId === "env-newly-required"
            ? { ...f, severity: "info", message: `${f.message}; ${ctx.environment} defines it` }
            : f,
        );
      }
    }
    return items;
  },
};

export const compatCheck: Check = {
  id: "compat",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    const kinds = [
      {
        kind: "openapi" as const,
        specs: ctx.config.compat.openapi,
        title: "The OpenAPI specs have no breaking change",
      },
      {
        kind: "graphql" as const,
        specs: ctx.config.compat.graphql,
        title: "The GraphQL schemas have no breaking change",
      },
    ];
    const items: CheckItem[] = [];
    for (const { kind, specs, title } of kinds) {
      const base = { id: `compat.${kind}`, group: "application" as const, title };
      if (specs.length === 0) {
        items.push({
          ...base,
          status: "skipped",
          detail: `no specs declared (compat.${kind})`,
          findings: [],
        });
        continue;
      }
      if (ctx.base === undefined) {
        items.push({
          ...base,
          status: "skipped",
          detail: whyNoBase(ctx),
          findings: [],
        });
        continue;
      }
      const t0 = performance.now();
      const { runCompatOpenapi, runCompatGraphql } = await import("../cli/commands/compat.js");
      const options = {
        cwd: ctx.cwd,
        specs: [],
        since: ctx.base,
        now: ctx.now,
        ...(ctx.configPath ? { configPath: ctx.configPath } : {}),
      };
      const result = kind === "openapi" ? await runCompatOpenapi(options) : await runCompatGraphql(options);
      items.push({
        ...base,
        status: statusOf(result.report.findings),
        detail:
          countedFindings(result.report.findings) ??
          `${specs.length} specs compared with ${ctx.baseLabel ?? "the base"}`,
        findings: result.report.findings,
        durationMs: performance.now() - t0,
      });
    }
    return items;
  },
};

export function manualCheck(confirmed: ReadonlySet<string>): Check {
  return {
    id: "manual",
    async run(ctx: CheckContext): Promise<CheckItem[]> {
      const known = new Set(ctx.config.check.manual.map((m) => m.id));
      const unknown = [...confirmed].filter((id) => !known.has(id));
      if (unknown.length > 0) {
        throw new ShipgateError("USAGE", `--confirm ${unknown.join(", ")}: no such manual item`, {
          hint: `Manual items: ${[...known].join(", ") || "none (check.manual in shipgate.yaml)"}.`,
        });
      }
      return ctx.config.check.manual.map((m) => {
        const done = m.confirmed || confirmed.has(m.id);
        return {
          id: `manual.${m.id}`,
          group: m.group,
          title: m.title,
          status: done ? "pass" : "manual",
          detail: done
            ? m.confirmed
              ? "confirmed in shipgate.yaml"
              : "confirmed with --confirm"
            : `confirm with --confirm ${m.id}`,
          findings: [],
          durationMs: 0,
        };
      });
    },
  };
}
