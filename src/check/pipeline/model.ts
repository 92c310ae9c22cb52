/**
 * The CI pipeline as the audit sees it, whatever system defines it: files, and in them jobs (a
 * GitHub Actions job, a GitLab CI job, a Jenkins stage) with the commands they run, the environment
 * they deploy to, whether a person must start them, and their concurrency control. Parsers
 * (github.ts, gitlab.ts, jenkins.ts) build it; stage detection (stages.ts) only reads it.
 */
import type { Finding } from "../../core/finding.js";

export type CiSystem = "github" | "gitlab" | "jenkins";

export const ciSystemNames: Record<CiSystem, string> = {
  github: "GitHub Actions",
  gitlab: "GitLab CI",
  jenkins: "Jenkins",
};

/** A place in a CI file. Paths are relative to the working directory, forward slashes; 1-based. */
export interface Position {
  file: string;
  line: number;
  column: number;
}

/**
 * Something a job runs:
 * - run: a shell script (GitHub `run:`, GitLab `script:` lines);
 * - uses: an action or reusable workflow reference (GitHub `uses:`), e.g. `gitleaks/gitleaks-action@v2`;
 * - include: a GitLab CI template or component (`include: template: Security/Secret-Detection.gitlab-ci.yml`);
 * - release: a GitLab `release:` keyword (creates a tag);
 * - text: a Jenkinsfile stage body, matched as text.
 */
export interface CiCommand {
  kind: "run" | "uses" | "include" | "release" | "text";
  text: string;
  /** The step's display name, when it has one (GitHub `name:`). */
  name?: string;
  /** Where the command text starts; line of the first line of `text`. */
  at: Position;
  /** Directory (relative to the CI root) the command runs in, for script lookups. */
  workingDirectory?: string;
  /** GitHub `with:` inputs, as text (e.g. actions/github-script's `script`). */
  inputs?: Readonly<Record<string, string>>;
}

export interface CiEnvironment {
  /** The name as written; an expression (`${{ inputs.target }}`) when dynamic. */
  name: string;
  /**
   * The names it can take: the name itself when literal; for an expression, the string literals in it
   * and the options/defaults of the workflow inputs and matrix values it refers to.
   */
  candidates: string[];
  at: Position;
}

export interface CiConcurrency {
  /** The group key as written (GitHub group, GitLab resource_group); "" for Jenkins. */
  group: string;
  /** GitHub cancel-in-progress: true / GitLab interruptible: true. */
  cancelInProgress: boolean;
  /** Where it is declared (job, workflow, or Jenkins options). */
  level: "job" | "workflow" | "pipeline";
  /** What declares it, e.g. "concurrency", "resource_group", "disableConcurrentBuilds()". */
  keyword: string;
  at: Position;
}

export interface CiJob {
  system: CiSystem;
  /** Job id (GitHub/GitLab key) or Jenkins stage name. */
  id: string;
  /** Display name (GitHub `name:`), when different from the id. */
  name?: string;
  at: Position;
  commands: CiCommand[];
  environment?: CiEnvironment;
  /** A person must start it: GitLab `when: manual` (job or rules), a Jenkins `input` step. */
  manual?: Position;
  concurrency?: CiConcurrency;
  /** Job ids this job waits for (GitHub/GitLab `needs:`). */
  needs: string[];
  /** What triggers the workflow the job belongs to (GitHub `on:` events); [] when unknown. */
  triggers: string[];
  /**
   * GitHub: the file of the local reusable workflow this job calls (`uses: ./.github/workflows/x.yml`),
   * when the audit read it. Such a job is judged through the called jobs, not as a deploy of its own.
   */
  calls?: string;
  /** The job runs only for tags or releases (GitHub `on: release` / `push: tags`; GitLab `$CI_COMMIT_TAG`, `only: tags`). */
  runsOnTags: boolean;
}

export interface CiFile {
  /** Relative to the working directory, forward slashes. */
  path: string;
  system: CiSystem;
  text: string;
  jobs: CiJob[];
  /** Problems found while reading it (YAML syntax), as findings. */
  problems: Finding[];
}

export interface Pipeline {
  /** The directory the CI files were found in (absolute): the repository root, usually. */
  root: string;
  files: CiFile[];
}

/** Every job of every file, in file order. */
export function allJobs(pipeline: Pipeline): CiJob[] {
  return pipeline.files.flatMap((f) => f.jobs);
}

export function describePosition(at: Position): string {
  return `${at.file}:${at.line}`;
}
