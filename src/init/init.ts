/**
 * `shipgate init`: read → assemble → apply. Detects the project (detect.ts), assembles the files to
 * write (shipgate.yaml, .env.example, the CI workflows, hook samples, .shipgate/.gitignore) as data,
 * then writes each one unless it exists (`force` overwrites; .shipgate/.gitignore is brought up to
 * date, keeping its lines) — or, with `dryRun`, writes nothing and returns what it would write.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import { loadConfig } from "../config/load.js";
import { ShipgateError } from "../core/errors.js";
import { gitInsideWorkTree, gitRepoRoot } from "../core/git.js";
import { plural } from "../core/plural.js";
import { stateDirName, stateGitignoreText } from "../core/state-dir.js";
import { hookSamples } from "../deploy/hooks.js";
import { stackCommands } from "./commands.js";
import { describeStack, renderShipgateYaml } from "./config-file.js";
import { detectProject, type ProjectFacts } from "./detect.js";
import { exampleVariables, renderEnvExample } from "./env-example.js";
import {
  productionWorkflowPath,
  renderProductionWorkflow,
  renderStagingWorkflow,
  stagingWorkflowPath,
} from "./github-workflows.js";
import { gitlabCiPath, renderGitlabCi } from "./gitlab-ci.js";

export const ciChoices = ["github", "gitlab"] as const;
export type CiChoice = (typeof ciChoices)[number];

export interface InitOptions {
  cwd: string;
  /** The CI system to write for; default: GitLab when the repository has .gitlab-ci.yml or a GitLab remote, else GitHub. */
  ci?: string;
  /** Overwrite files that exist. */
  force?: boolean;
  /** Write nothing; return what would be written. */
  dryRun?: boolean;
}

export type InitFileStatus = "written" | "overwritten" | "skipped-exists" | "would-write" | "would-overwrite";

export interface InitFile {
  /** Relative to cwd, forward slashes. */
  path: string;
  /** What the file is, for the summary. */
  description: string;
  status: InitFileStatus;
  content: string;
}

export interface InitResult {
  /** The directory files were written to (the repository root; absolute). */
  root: string;
  project: ProjectFacts;
  /** One line: language, package manager and the files that show them. */
  stackDescription: string;
  ci: CiChoice;
  /** Why that CI system was chosen. */
  ciReason: string;
  files: InitFile[];
  /** Variables written to .env.example. */
  envVariables: number;
  /** What to do next, in order. */
  nextSteps: string[];
  /** Things init could not set up, and why. */
  notes: string[];
}

function chooseCi(option: string | undefined, facts: ProjectFacts): { ci: CiChoice; reason: string } {
  if (option !== undefined) {
    if (!(ciChoices as readonly string[]).includes(option)) {
      throw new ShipgateError("USAGE", `unknown CI system "${option}"`, {
        hint: `Use --ci ${ciChoices.join("|")}.`,
      });
    }
    return { ci: option as CiChoice, reason: "--ci" };
  }
  if (facts.ci.gitlab) return { ci: "gitlab", reason: "the repository has a .gitlab-ci.yml" };
  if (facts.ci.gitlabRemote && facts.ci.github.length === 0)
    return { ci: "gitlab", reason: "a git remote is on GitLab" };
  return {
    ci: "github",
    reason: facts.ci.github.length > 0 ? "the repository has GitHub workflows" : "the default",
  };
}

async function projectRoot(cwd: string): Promise<string> {
  if (!existsSync(cwd)) {
    throw new ShipgateError("FILE_NOT_FOUND", `directory ${cwd} does not exist`, {
      hint: "Run shipgate init from inside the repository to set up.",
    });
  }
  return (await gitInsideWorkTree(cwd)) ? gitRepoRoot(cwd) : resolve(cwd);
}

async function envExampleText(root: string): Promise<{ text: string; count: number; dynamic: number }> {
  // The parsers (@babel/parser, Lezer) load only here, not when other modules import init.
  const [{ gatherSources }, { findEnvReads }] = await Promise.all([
    import("../cli/commands/env-audit.js"),
    import("../env-audit/audit.js"),
  ]);
  const { sources } = await gatherSources(root, []);
  const { reads } = findEnvReads(sources);
  const variables = exampleVariables(reads);
  return {
    text: renderEnvExample(variables),
    count: variables.length,
    dynamic: reads.filter((r) => r.name === undefined).length,
  };
}

/**
 * The config file to write (an existing shipgate.yml counts as the config) and the example file
 * (the existing config's env.example when it loads, so a skipped config and the example agree).
 */
function existingConfig(root: string): { configFile: string; envExample: string } {
  const configFile = existsSync(join(root, "shipgate.yaml"))
    ? "shipgate.yaml"
    : existsSync(join(root, "shipgate.yml"))
      ? "shipgate.yml"
      : "shipgate.yaml";
  let envExample = ".env.example";
  if (existsSync(join(root, configFile))) {
    try {
      const example = loadConfig({ cwd: root, configPath: configFile }).config.env.example;
      if (!isAbsolute(example) && !normalize(example).startsWith(".."))
        envExample = example.split(sep).join("/");
    } catch {
      // An invalid config is not init's to judge: `shipgate check` reports it.
    }
  }
  return { configFile, envExample };
}

export async function runInit(options: InitOptions): Promise<InitResult> {
  const cwd = resolve(options.cwd);
  const root = await projectRoot(cwd);
  const project = await detectProject(root);
  const { ci, reason } = chooseCi(options.ci, project);
  const commands = stackCommands(project.stack);
  const env = await envExampleText(root);
  const { configFile, envExample } = existingConfig(root);

  // merged: the content keeps every line of the file there, so it is brought up to date without --force.
  const planned: { path: string; description: string; content: string; merged?: true }[] = [
    {
      path: configFile,
      description: "shipgate config",
      content: renderShipgateYaml(project, envExample),
    },
    {
      path: envExample,
      description: `${plural(env.count, "env variable name")}, values empty`,
      content: env.text,
    },
  ];
  if (ci === "github") {
    planned.push(
      {
        path: stagingWorkflowPath,
        description: "push to main → test, check, build, deploy staging, smoke",
        content: renderStagingWorkflow(project, commands),
      },
      {
        path: productionWorkflowPath,
        description: "release/dispatch → check, approval, migrations, deploy, smoke, tag",
        content: renderProductionWorkflow(project),
      },
    );
  } else {
    planned.push({
      path: gitlabCiPath,
      description: "test, check, build, staging; manual production; tag",
      content: renderGitlabCi(project, commands),
    });
  }

  // Commented hook samples: renamed without .sample (and made executable) they run on deploys.
  for (const sample of hookSamples()) {
    planned.push({
      path: `.shipgate/hooks/${sample.name}.sample`,
      description: `sample ${sample.name} hook (rename without .sample to use it)`,
      content: sample.content,
    });
  }
  // .shipgate/ holds this machine's state too (once deploys run): only the hooks are committed.
  const gitignore = join(root, stateDirName, ".gitignore");
  planned.push({
    path: `${stateDirName}/.gitignore`,
    description: "keeps the ledger, secret key, artifacts and run files out of git (the hooks are committed)",
    content: stateGitignoreText(existsSync(gitignore) ? readFileSync(gitignore, "utf8") : undefined),
    merged: true,
  });

  const files: InitFile[] = [];
  for (const p of planned) {
    const abs = join(root, ...p.path.split("/"));
    const exists = existsSync(abs);
    // A merged file is skipped only when it holds what init would write already.
    const keep = exists && (p.merged !== true || readFileSync(abs, "utf8") === p.content);
    let status: InitFileStatus;
    if (keep && !options.force) status = "skipped-exists";
    else if (options.dryRun) status = exists ? "would-overwrite" : "would-write";
    else {
      try {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, p.content, p.path.startsWith(".shipgate/hooks/") ? { mode: 0o755 } : undefined);
      } catch (error) {
        throw new ShipgateError("USAGE", `cannot write ${p.path}: ${(error as Error).message}`, {
          hint: "Check that the repository is writable, or run shipgate init --dry-run to see the files.",
          cause: error,
        });
      }
      status = exists ? "overwritten" : "written";
    }
    const shown = relative(cwd, abs).split(sep).join("/");
    files.push({ path: shown, description: p.description, status, content: p.content });
  }

  const notes: string[] = [];
  for (const [stage, why] of Object.entries(commands.missing)) notes.push(`no ${stage} step written: ${why}`);
  if (env.dynamic > 0) {
    notes.push(
      `${plural(env.dynamic, "env read")} ${env.dynamic === 1 ? "uses" : "use"} a computed name (e.g. process.env[key]) and are not in .env.example`,
    );
  }
  if (!project.migrations)
    notes.push("no SQL migrations found: the workflows run no `shipgate migrations apply`");
  if (ci === "gitlab" && project.ci.gitlab && !options.force) {
    notes.push(
      ".gitlab-ci.yml exists and was kept: `shipgate pipeline audit` lists the stages it lacks, with snippets",
    );
  }
  const others = project.ci.github.filter((f) => f !== stagingWorkflowPath && f !== productionWorkflowPath);
  if (ci === "github" && others.length > 0)
    notes.push(`existing workflows kept as they are: ${others.join(", ")}`);

  const secrets = `SHIPGATE_LEDGER_URL (a postgres:// ledger every run shares) and SHIPGATE_SECRET_KEY (openssl rand -base64 32)${project.migrations ? ", DATABASE_URL (for migrations apply)" : ""}`;
  const nextSteps =
    ci === "github"
      ? [
          "Set each environment's target (and its smoke tests) in shipgate.yaml (docs/deploy.md).",
          "In Settings → Environments, create staging and production; give production required reviewers.",
          `Add environment secrets: ${secrets}.`,
          "Run `shipgate check` and `shipgate pipeline audit` locally, then commit the files.",
        ]
      : [
          "Set each environment's target (and its smoke tests) in shipgate.yaml (docs/deploy.md).",
          `In Settings → CI/CD → Variables, add ${secrets}, scoped to their environments.`,
          "Protect the production environment (Settings → Deployments) to choose who may deploy.",
          "Run `shipgate check` and `shipgate pipeline audit` locally, then commit the files.",
        ];

  return {
    root,
    project,
    stackDescription: describeStack(project),
    ci,
    ciReason: reason,
    files,
    envVariables: env.count,
    nextSteps,
    notes,
  };
}
