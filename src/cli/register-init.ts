/**
 * `shipgate init`: set up an existing repository (shipgate.yaml, .env.example, CI workflows).
 * Registered by program.ts; init loads on demand.
 */
import { type Command, Option } from "commander";
import type { InitFileStatus, InitResult } from "../init/index.js";
import type { CliIo } from "./program.js";

const statusLabel: Record<InitFileStatus, string> = {
  written: "wrote",
  overwritten: "overwrote",
  "skipped-exists": "skipped",
  "would-write": "would write",
  "would-overwrite": "would overwrite",
};

/** The human summary of an init run (and, with dryRun, every file it would write). */
export function renderInitResult(result: InitResult, dryRun: boolean): string {
  const out: string[] = [];
  if (dryRun) {
    for (const f of result.files) {
      if (f.status === "skipped-exists") continue;
      out.push(`--- ${f.path} (${statusLabel[f.status]}) ---`, f.content.replace(/\n$/, ""), "");
    }
  }
  const { project } = result;
  out.push(`Detected: ${result.stackDescription}`);
  out.push(
    `  migrations: ${project.migrations ? `${project.migrations.framework}, ${project.migrations.files} in ${project.migrations.dir}` : "none found"}`,
  );
  const specs = [...project.specs.openapi, ...project.specs.graphql];
  out.push(`  API specs: ${specs.length > 0 ? specs.join(", ") : "none found"}`);
  out.push(`  CI: ${result.ci === "github" ? "GitHub Actions" : "GitLab CI"} (${result.ciReason})`, "");
  const width = Math.max(...result.files.map((f) => f.path.length));
  for (const f of result.files) {
    const what = f.status === "skipped-exists" ? "exists; --force overwrites it" : f.description;
    out.push(`  ${statusLabel[f.status].padEnd(15)} ${f.path.padEnd(width)}  ${what}`);
  }
  if (result.notes.length > 0) out.push("", "Notes:", ...result.notes.map((n) => `  - ${n}`));
  if (!dryRun) out.push("", "Next:", ...result.nextSteps.map((s, i) => `  ${i + 1}. ${s}`));
  else out.push("", "Nothing was written (--dry-run).");
  return `${out.join("\n")}\n`;
}

export function registerInit(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("init")
    .description(
      "Set up a repository: a commented shipgate.yaml, .env.example from the env reads in code, and CI workflows with every stage (GitHub Actions or GitLab CI).",
    )
    .addOption(
      new Option(
        "--ci <system>",
        "CI to write for (default: gitlab when .gitlab-ci.yml or a GitLab remote exists, else github)",
      ).choices(["github", "gitlab"]),
    )
    .option("--force", "overwrite files that exist (default: skip them)")
    .option("--dry-run", "print what would be written; write nothing")
    .addOption(
      new Option("--format <format>", "pretty or json").choices(["pretty", "json"]).default("pretty"),
    )
    .addHelpText(
      "after",
      `
Writes, at the repository root:
  shipgate.yaml                           detected migrations, env example, API specs, environments
  .env.example                            variable names the code reads (values always empty)
  .github/workflows/deploy-staging.yml    push to main: test → shipgate check → build → deploy → smoke
  .github/workflows/deploy-production.yml release or manual: check → approval → migrations → deploy → smoke → tag
  or .gitlab-ci.yml                       the same, with a manual production job (--ci gitlab)

Examples:
  shipgate init
  shipgate init --dry-run
  shipgate init --ci gitlab
  shipgate init --force                   overwrite files written before

A file that exists is never overwritten without --force. Exit codes: 0 done, 2 usage error.`,
    )
    .action(async (opts: { ci?: string; force?: boolean; dryRun?: boolean; format: string }) => {
      const [{ runInit }, { ExitCode }] = await Promise.all([
        import("../init/index.js"),
        import("../core/errors.js"),
      ]);
      const result = await runInit({
        cwd: io.cwd,
        ...(opts.ci ? { ci: opts.ci } : {}),
        force: opts.force === true,
        dryRun: opts.dryRun === true,
      });
      if (opts.format === "json") {
        const sets = (_key: string, value: unknown) => (value instanceof Set ? [...value] : value);
        io.stdout.write(`${JSON.stringify(result, sets, 2)}\n`);
      } else {
        io.stdout.write(renderInitResult(result, opts.dryRun === true));
      }
      setExit(ExitCode.ok);
    });
}
