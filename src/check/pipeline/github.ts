/**
 * GitHub Actions workflows → jobs: each job's steps (`run` scripts and `uses` references), its
 * environment (with the names an expression can take), its concurrency (the job's, else the
 * workflow's), `needs`, and the workflow's triggers. Local reusable workflows
 * (`uses: ./.github/workflows/deploy.yml`) are linked to their callers: the inputs a caller passes
 * become environment candidates of the called jobs, and a caller's concurrency covers them.
 */
import type { Node } from "yaml";
import type { CiCommand, CiConcurrency, CiEnvironment, CiFile, CiJob } from "./model.js";
import {
  entries,
  get,
  getIn,
  isTrue,
  items,
  type ParsedYaml,
  parseYaml,
  str,
  strings,
  textStart,
} from "./yaml-nodes.js";

const expressionPattern = /\$\{\{([\s\S]*?)\}\}/g;

/** The inputs a workflow declares, with the values they can take (options and default). */
function inputValues(root: Node | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const event of ["workflow_dispatch", "workflow_call"]) {
    for (const input of entries(getIn(root, "on", event, "inputs"))) {
      const values = [...strings(get(input.value, "options")), ...strings(get(input.value, "default"))];
      out.set(input.key, [...(out.get(input.key) ?? []), ...values]);
    }
  }
  return out;
}

/** Matrix values by key: `strategy.matrix.<key>` lists and `include` entries. */
function matrixValues(job: Node | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const matrix = getIn(job, "strategy", "matrix");
  for (const e of entries(matrix)) {
    if (e.key === "include" || e.key === "exclude") continue;
    out.set(e.key, strings(e.value));
  }
  for (const inc of items(get(matrix, "include"))) {
    for (const e of entries(inc)) out.set(e.key, [...(out.get(e.key) ?? []), ...strings(e.value)]);
  }
  return out;
}

/**
 * The names a value with expressions can take: the string literals in its expressions, the values of
 * the inputs and matrix keys it refers to, each also substituted into the text around the expression.
 */
export function expressionCandidates(
  value: string,
  inputs: ReadonlyMap<string, readonly string[]>,
  matrix: ReadonlyMap<string, readonly string[]>,
): string[] {
  if (!value.includes("${{")) return [value];
  const out = new Set<string>();
  const literalText = value.replace(expressionPattern, "").trim();
  for (const m of value.matchAll(expressionPattern)) {
    const expr = m[1] ?? "";
    const values: string[] = [];
    for (const lit of expr.matchAll(/'([^']*)'/g)) values.push(lit[1] ?? "");
    for (const ref of expr.matchAll(/\b(?:github\.event\.)?inputs\.([\w-]+)/g)) {
      values.push(...(inputs.get(ref[1] ?? "") ?? []));
    }
    for (const ref of expr.matchAll(/\bmatrix\.([\w-]+)/g)) values.push(...(matrix.get(ref[1] ?? "") ?? []));
    for (const v of values) {
      if (v === "" || v.startsWith("refs/")) continue;
      out.add(v);
      if (literalText !== "") out.add(value.replace(expressionPattern, v));
    }
  }
  return [...out];
}

function environmentOf(
  parsed: ParsedYaml,
  job: Node | undefined,
  inputs: ReadonlyMap<string, readonly string[]>,
): CiEnvironment | undefined {
  const node = get(job, "environment");
  if (node === undefined) return undefined;
  const nameNode = str(node) !== undefined ? node : get(node, "name");
  const name = str(nameNode);
  if (name === undefined) return undefined;
  return { name, candidates: expressionCandidates(name, inputs, matrixValues(job)), at: parsed.at(nameNode) };
}

function concurrencyOf(
  parsed: ParsedYaml,
  node: Node | undefined,
  level: "job" | "workflow",
): CiConcurrency | undefined {
  if (node === undefined) return undefined;
  const group = str(node) ?? str(get(node, "group"));
  if (group === undefined) return undefined;
  return {
    group,
    cancelInProgress: isTrue(get(node, "cancel-in-progress")),
    level,
    keyword: level === "job" ? "jobs.<job>.concurrency" : "concurrency",
    at: parsed.at(node),
  };
}

function triggersOf(root: Node | undefined): { triggers: string[]; runsOnTags: boolean } {
  const on = get(root, "on");
  const named = entries(on).map((e) => e.key);
  const triggers = named.length > 0 ? named : strings(on);
  const pushTags = getIn(on, "push", "tags") !== undefined;
  const onlyTags =
    (triggers.includes("release") || pushTags) &&
    triggers.every(
      (t) => t === "release" || (t === "push" && pushTags && getIn(on, "push", "branches") === undefined),
    );
  return { triggers, runsOnTags: onlyTags };
}

function withInputs(node: Node | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries(node)) {
    const v = str(e.value);
    if (v !== undefined) out[e.key] = v;
  }
  return out;
}

function stepCommands(
  parsed: ParsedYaml,
  job: Node | undefined,
  defaultDir: string | undefined,
): CiCommand[] {
  const out: CiCommand[] = [];
  for (const step of items(get(job, "steps"))) {
    const name = str(get(step, "name"));
    const runNode = get(step, "run");
    const usesNode = get(step, "uses");
    const dir = str(get(step, "working-directory")) ?? defaultDir;
    const run = str(runNode);
    if (run !== undefined) {
      out.push({
        kind: "run",
        text: run,
        ...(name !== undefined ? { name } : {}),
        at: textStart(parsed, runNode),
        ...(dir !== undefined ? { workingDirectory: dir } : {}),
      });
    }
    const uses = str(usesNode);
    if (uses !== undefined) {
      out.push({
        kind: "uses",
        text: uses,
        ...(name !== undefined ? { name } : {}),
        at: parsed.at(usesNode),
        inputs: withInputs(get(step, "with")),
      });
    }
  }
  return out;
}

/** Parses one workflow file. YAML errors leave the file without jobs (and become its problems). */
export function parseGithubWorkflow(file: string, text: string): CiFile {
  const parsed = parseYaml(file, text);
  const root = parsed.root;
  const { triggers, runsOnTags } = triggersOf(root);
  const inputs = inputValues(root);
  const workflowConcurrency = concurrencyOf(parsed, get(root, "concurrency"), "workflow");
  const workflowDir = str(getIn(root, "defaults", "run", "working-directory"));
  const jobs: CiJob[] = [];
  for (const { key, keyNode, value } of entries(get(root, "jobs"))) {
    const jobDir = str(getIn(value, "defaults", "run", "working-directory")) ?? workflowDir;
    const commands = stepCommands(parsed, value, jobDir);
    const reusable = get(value, "uses");
    if (str(reusable) !== undefined) {
      commands.push({
        kind: "uses",
        text: str(reusable) as string,
        at: parsed.at(reusable),
        inputs: withInputs(get(value, "with")),
      });
    }
    const name = str(get(value, "name"));
    const environment = environmentOf(parsed, value, inputs);
    const concurrency = concurrencyOf(parsed, get(value, "concurrency"), "job") ?? workflowConcurrency;
    jobs.push({
      system: "github",
      id: key,
      ...(name !== undefined && name !== key ? { name } : {}),
      at: parsed.at(keyNode),
      commands,
      ...(environment ? { environment } : {}),
      ...(concurrency ? { concurrency } : {}),
      needs: strings(get(value, "needs")),
      triggers,
      runsOnTags,
    });
  }
  return { path: file, system: "github", text, jobs, problems: parsed.problems };
}

function normalizeWorkflowRef(ref: string): string | undefined {
  // `./.github/workflows/deploy.yml` (a local reusable workflow); never `owner/repo/...@ref`.
  if (!ref.startsWith("./")) return undefined;
  return ref.slice(2).replace(/@.*$/, "");
}

/**
 * Links callers of local reusable workflows to the called jobs: `with:` values the callers pass
 * become environment candidates (for `${{ inputs.x }}`), and the caller's concurrency covers a
 * called job that has none of its own. `fileOf` maps a workflow path relative to the CI root to
 * the file's display path.
 */
export function linkReusableWorkflows(files: CiFile[], fileOf: (relativeToRoot: string) => string): void {
  const byPath = new Map(files.filter((f) => f.system === "github").map((f) => [f.path, f]));
  for (const caller of files) {
    for (const job of caller.jobs) {
      for (const command of job.commands) {
        if (command.kind !== "uses") continue;
        const target = normalizeWorkflowRef(command.text);
        const callee = target === undefined ? undefined : byPath.get(fileOf(target));
        if (!callee || callee === caller) continue;
        job.calls = callee.path;
        const passed = new Map(Object.entries(command.inputs ?? {}).map(([k, v]) => [k, [v]]));
        for (const called of callee.jobs) {
          const env = called.environment;
          if (env?.name.includes("${{")) {
            const more = expressionCandidates(env.name, passed, new Map());
            env.candidates = [...new Set([...env.candidates, ...more.filter((c) => !c.includes("${{"))])];
          }
          if (!called.concurrency && job.concurrency) called.concurrency = job.concurrency;
          if (caller.jobs.length > 0 && called.triggers.every((t) => t === "workflow_call")) {
            called.triggers = [...new Set([...called.triggers, ...job.triggers])];
            called.runsOnTags = called.runsOnTags || job.runsOnTags;
          }
        }
      }
    }
  }
}
