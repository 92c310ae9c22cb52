/**
 * The dependency audit: `npm audit` for a project with package-lock.json, `pip-audit` for a Python
 * project when pip-audit is installed. An audit that cannot run (no lockfile, no network, the
 * registry refuses, the tool is missing) is reported as skipped with the reason — never as clean.
 * Vulnerabilities at or above the configured level fail the item.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Finding } from "../core/finding.js";
import type { Check, CheckContext, CheckItem } from "./types.js";

const docsUrl = "https://github.com/shipgate/shipgate/blob/main/docs/check.md#dependency-audit";

export const severityLevels = ["low", "moderate", "high", "critical"] as const;
export type SeverityLevel = (typeof severityLevels)[number];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function runTool(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: "", stderr: "", error });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      });
    });
  });
}

interface NpmVia {
  title?: string;
  url?: string;
  severity?: string;
  range?: string;
}

interface NpmAuditJson {
  vulnerabilities?: Record<
    string,
    {
      name: string;
      severity: string;
      isDirect?: boolean;
      via: (string | NpmVia)[];
      range?: string;
      fixAvailable?: unknown;
    }
  >;
  metadata?: { vulnerabilities?: Record<string, number> };
  message?: string;
  error?: { summary?: string; detail?: string };
}

function rank(level: string): number {
  return severityLevels.indexOf(level as SeverityLevel);
}

/** Findings from `npm audit --json` output, or the reason the audit did not run. */
export function npmAuditFindings(
  output: string,
  failAt: SeverityLevel,
): { findings: Finding[] } | { notRun: string } {
  let json: NpmAuditJson;
  try {
    json = JSON.parse(output) as NpmAuditJson;
  } catch {
    return { notRun: "npm audit printed no JSON report" };
  }
  if (json.vulnerabilities === undefined) {
    const why = json.message ?? json.error?.summary ?? "npm audit returned no report";
    return { notRun: `npm audit could not run: ${why.split("\n")[0]}` };
  }
  const findings: Finding[] = [];
  for (const v of Object.values(json.vulnerabilities)) {
    const advisories = v.via.filter((x): x is NpmVia => typeof x === "object");
    const through = v.via.filter((x): x is string => typeof x === "string");
    const title =
      advisories
        .map((a) => a.title)
        .filter(Boolean)
        .join("; ") || `through ${through.join(", ")}`;
    const url = advisories.find((a) => a.url)?.url;
    findings.push({
      ruleId: "check-vulnerable-dependency",
      severity: rank(v.severity) >= rank(failAt) ? "error" : "warning",
      file: "package-lock.json",
      message: `${v.name}${v.range ? ` ${v.range}` : ""} (${v.isDirect ? "direct" : "transitive"}): ${v.severity} — ${title}`,
      help: v.fixAvailable
        ? "Run npm audit fix (or upgrade the package) and commit the lockfile."
        : "No fix is published yet: replace the package, or accept the risk in writing.",
      ...(url ? { docsUrl: url } : { docsUrl }),
    });
  }
  return { findings };
}

interface PipAuditJson {
  dependencies?: {
    name: string;
    version: string;
    vulns: { id: string; fix_versions?: string[]; description?: string }[];
  }[];
}

export function pipAuditFindings(output: string): { findings: Finding[] } | { notRun: string } {
  let json: PipAuditJson;
  try {
    json = JSON.parse(output) as PipAuditJson;
  } catch {
    return { notRun: "pip-audit printed no JSON report" };
  }
  if (!Array.isArray(json.dependencies)) return { notRun: "pip-audit returned no report" };
  return {
    findings: json.dependencies.flatMap((d) =>
      d.vulns.map(
        (v): Finding => ({
          ruleId: "check-vulnerable-dependency",
          // pip-audit reports no severity: every known vulnerability fails.
          severity: "error",
          message: `${d.name} ${d.version}: ${v.id}${v.fix_versions?.length ? ` (fixed in ${v.fix_versions.join(", ")})` : ""}`,
          help: v.fix_versions?.length
            ? `Upgrade ${d.name} to ${v.fix_versions[0]} or later.`
            : "No fix is published yet.",
          docsUrl,
        }),
      ),
    ),
  };
}

export const dependencyCheck: Check = {
  id: "dependencies",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    const failAt = ctx.config.check.dependencyAudit.failAt;
    const timeoutMs = 120_000;
    const items: CheckItem[] = [];
    const base = { group: "application" as const };
    const npmLock = path.join(ctx.cwd, "package-lock.json");
    if (existsSync(npmLock)) {
      const t0 = performance.now();
      const npm = process.platform === "win32" ? "npm.cmd" : "npm";
      const ran = await runTool(npm, ["audit", "--json"], ctx.cwd, ctx.env, timeoutMs);
      const result = ran.error
        ? { notRun: `npm could not start: ${ran.error.message}` }
        : npmAuditFindings(ran.stdout, failAt);
      const durationMs = performance.now() - t0;
      if ("notRun" in result) {
        items.push({
          ...base,
          id: "dependencies.npm",
          title: "npm dependencies have no known vulnerabilities",
          status: "skipped",
          detail: `not run — ${result.notRun}`,
          findings: [],
          durationMs,
        });
      } else {
        const errors = result.findings.filter((f) => f.severity === "error").length;
        items.push({
          ...base,
          id: "dependencies.npm",
          title: "npm dependencies have no known vulnerabilities",
          status: errors > 0 ? "fail" : "pass",
          detail: `${result.findings.length} vulnerable packages, ${errors} at or above ${failAt}`,
          findings: result.findings,
          durationMs,
        });
      }
    }
    const python = ["requirements.txt", "pyproject.toml"].find((f) => existsSync(path.join(ctx.cwd, f)));
    if (python) {
      const t0 = performance.now();
      const args =
        python === "requirements.txt" ? ["-f", "json", "-r", "requirements.txt"] : ["-f", "json", "."];
      const ran = await runTool("pip-audit", args, ctx.cwd, ctx.env, timeoutMs);
      const result = ran.error
        ? {
            notRun:
              (ran.error as NodeJS.ErrnoException).code === "ENOENT"
                ? "pip-audit is not installed (pip install pip-audit)"
                : `pip-audit could not start: ${ran.error.message}`,
          }
        : pipAuditFindings(ran.stdout);
      const durationMs = performance.now() - t0;
      if ("notRun" in result) {
        items.push({
          ...base,
          id: "dependencies.python",
          title: "Python dependencies have no known vulnerabilities",
          status: "skipped",
          detail: `not run — ${result.notRun}`,
          findings: [],
          durationMs,
        });
      } else {
        items.push({
          ...base,
          id: "dependencies.python",
          title: "Python dependencies have no known vulnerabilities",
          status: result.findings.length > 0 ? "fail" : "pass",
          findings: result.findings,
          durationMs,
        });
      }
    }
    if (items.length === 0) {
      items.push({
        ...base,
        id: "dependencies.audit",
        title: "Dependencies have no known vulnerabilities",
        status: "skipped",
        detail: "no package-lock.json, requirements.txt or pyproject.toml",
        findings: [],
      });
    }
    return items;
  },
};
