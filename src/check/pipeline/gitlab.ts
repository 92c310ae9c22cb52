/**
 * GitLab CI (.gitlab-ci.yml and the local files it includes) → jobs: script lines (with `extends`
 * templates, `!reference` tags and default before/after scripts resolved), environment, manual
 * start (`when: manual` on the job or in its rules), `resource_group` (GitLab's concurrency control),
 * `needs`, `release:`, and whether the job runs only for tags. `include:` entries become a pseudo-job
 * whose commands are the templates and components included (e.g. Security/Secret-Detection).
 */
import { isSeq, type Node } from "yaml";
import type { CiCommand, CiConcurrency, CiEnvironment, CiFile, CiJob, Position } from "./model.js";
import {
  entries,
  get,
  isTrue,
  items,
  type ParsedYaml,
  parseYaml,
  str,
  strings,
  textStart,
} from "./yaml-nodes.js";

/** Top-level keys that are not jobs. */
const globalKeywords = new Set([
  "default",
  "include",
  "stages",
  "variables",
  "workflow",
  "image",
  "services",
  "cache",
  "before_script",
  "after_script",
  "types",
  "spec",
]);

/** Keys a job may inherit through `extends` that the audit reads. */
const inheritedKeys = [
  "script",
  "before_script",
  "after_script",
  "environment",
  "when",
  "rules",
  "only",
  "resource_group",
  "interruptible",
  "needs",
  "release",
] as const;

/** Environment actions that do not deploy (stop a review app, prepare, access, verify). */
const nonDeployActions = new Set(["stop", "prepare", "access", "verify"]);

export interface ParsedGitlabCi {
  file: CiFile;
  /** `include: local:` paths (relative to the repository root), for the caller to read and parse. */
  localIncludes: string[];
}

function scriptLines(
  parsed: ParsedYaml,
  node: Node | undefined,
  top: ReadonlyMap<string, Node | undefined>,
  depth = 0,
): { text: string; at: Position }[] {
  if (node === undefined || depth > 8) return [];
  if (isSeq(node) && node.tag === "!reference") {
    const path = strings(node);
    let target: Node | undefined = top.get(path[0] ?? "");
    for (const key of path.slice(1)) target = get(target, key);
    return scriptLines(parsed, target, top, depth + 1);
  }
  if (isSeq(node)) return items(node).flatMap((i) => scriptLines(parsed, i, top, depth + 1));
  const text = str(node);
  return text === undefined ? [] : [{ text, at: textStart(parsed, node) }];
}

function resolveKey(
  jobNode: Node | undefined,
  key: string,
  top: ReadonlyMap<string, Node | undefined>,
  seen: Set<string> = new Set(),
): Node | undefined {
  const own = get(jobNode, key);
  if (own !== undefined) return own;
  // `extends`: later templates override earlier ones.
  for (const parent of strings(get(jobNode, "extends")).reverse()) {
    if (seen.has(parent) || seen.size > 10) continue;
    seen.add(parent);
    const found = resolveKey(top.get(parent), key, top, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

function environmentOf(parsed: ParsedYaml, node: Node | undefined): CiEnvironment | undefined {
  if (node === undefined) return undefined;
  const nameNode = str(node) !== undefined ? node : get(node, "name");
  const name = str(nameNode);
  if (name === undefined) return undefined;
  const action = str(get(node, "action"));
  if (action !== undefined && nonDeployActions.has(action)) return undefined;
  return { name, candidates: [name], at: parsed.at(nameNode) };
}

function manualOf(parsed: ParsedYaml, when: Node | undefined, rules: Node | undefined): Position | undefined {
  if (str(when) === "manual") return parsed.at(when);
  for (const rule of items(rules)) {
    const w = get(rule, "when");
    if (str(w) === "manual") return parsed.at(w);
  }
  return undefined;
}

const tagCondition = /\$CI_COMMIT_TAG\b(?!\s*(?:==\s*(?:null|""|'')))/;

function runsOnTags(only: Node | undefined, rules: Node | undefined): boolean {
  const refs = [...strings(only), ...strings(get(only, "refs"))];
  if (refs.length > 0 && refs.every((r) => r === "tags" || r.startsWith("/^v"))) return true;
  const ruleList = items(rules);
  return (
    ruleList.length > 0 &&
    ruleList.every((r) => {
      const cond = str(get(r, "if"));
      return (
        (cond !== undefined && tagCondition.test(cond) && !cond.includes("!=")) ||
        str(get(r, "when")) === "never"
      );
    })
  );
}

function includeCommands(
  parsed: ParsedYaml,
  node: Node | undefined,
): { commands: CiCommand[]; locals: string[] } {
  const commands: CiCommand[] = [];
  const locals: string[] = [];
  const list = isSeq(node) ? items(node) : node === undefined ? [] : [node];
  for (const item of list) {
    const plain = str(item);
    const at = parsed.at(item);
    if (plain !== undefined) {
      if (/^https?:\/\//.test(plain)) commands.push({ kind: "include", text: `remote: ${plain}`, at });
      else locals.push(plain.replace(/^\//, ""));
      continue;
    }
    const local = str(get(item, "local"));
    if (local !== undefined) locals.push(local.replace(/^\//, ""));
    for (const key of ["template", "component", "remote"]) {
      const v = str(get(item, key));
      if (v !== undefined) commands.push({ kind: "include", text: `${key}: ${v}`, at });
    }
    const project = str(get(item, "project"));
    if (project !== undefined) {
      commands.push({
        kind: "include",
        text: `project: ${project} file: ${strings(get(item, "file")).join(", ")}`,
        at,
      });
    }
  }
  return { commands, locals };
}

/** Parses a GitLab CI file (the root .gitlab-ci.yml or a file it includes). */
export function parseGitlabCi(file: string, text: string): ParsedGitlabCi {
  const parsed = parseYaml(file, text);
  const root = parsed.root;
  const top = new Map(entries(root).map((e) => [e.key, e.value]));
  const defaults = get(root, "default");
  const defaultBefore = get(defaults, "before_script") ?? get(root, "before_script");
  const defaultAfter = get(defaults, "after_script") ?? get(root, "after_script");
  const jobs: CiJob[] = [];

  const { commands: includes, locals } = includeCommands(parsed, get(root, "include"));
  if (includes.length > 0) {
    const includeEntry = entries(root).find((e) => e.key === "include");
    jobs.push({
      system: "gitlab",
      id: "include",
      at: parsed.at(includeEntry?.keyNode),
      commands: includes,
      needs: [],
      triggers: [],
      runsOnTags: false,
    });
  }

  for (const { key, keyNode, value } of entries(root)) {
    // Hidden keys (.name) are templates; a job has a script (its own or inherited) or a trigger.
    if (globalKeywords.has(key) || key.startsWith(".")) continue;
    if (resolveKey(value, "script", top) === undefined && get(value, "trigger") === undefined) continue;
    const r = Object.fromEntries(inheritedKeys.map((k) => [k, resolveKey(value, k, top)])) as Record<
      (typeof inheritedKeys)[number],
      Node | undefined
    >;
    const commands: CiCommand[] = [
      ...scriptLines(parsed, r.before_script ?? defaultBefore, top),
      ...scriptLines(parsed, r.script, top),
      ...scriptLines(parsed, r.after_script ?? defaultAfter, top),
    ].map((l) => ({ kind: "run" as const, text: l.text, at: l.at }));
    if (r.release !== undefined) {
      commands.push({
        kind: "release",
        text: `release: ${str(get(r.release, "tag_name")) ?? ""}`.trim(),
        at: parsed.at(r.release),
      });
    }
    const environment = environmentOf(parsed, r.environment);
    const manual = manualOf(parsed, r.when, r.rules);
    const group = str(r.resource_group);
    const concurrency: CiConcurrency | undefined =
      group === undefined
        ? undefined
        : {
            group,
            cancelInProgress: isTrue(r.interruptible),
            level: "job",
            keyword: "resource_group",
            at: parsed.at(r.resource_group),
          };
    const needs = items(r.needs).flatMap((n) => str(n) ?? str(get(n, "job")) ?? []);
    jobs.push({
      system: "gitlab",
      id: key,
      at: parsed.at(keyNode),
      commands,
      ...(environment ? { environment } : {}),
      ...(manual ? { manual } : {}),
      ...(concurrency ? { concurrency } : {}),
      needs,
      triggers: [],
      runsOnTags: runsOnTags(r.only, r.rules),
    });
  }
  return {
    file: { path: file, system: "gitlab", text, jobs, problems: parsed.problems },
    localIncludes: locals,
  };
}
