/**
 * Jenkinsfile → stages, read as text (a Jenkinsfile is Groovy; shipgate does not run a Groovy
 * parser). Each `stage('Name')` is a job whose commands are the text up to the next stage, so both
 * the stage name and the `sh` commands in it can show a pipeline stage. A stage with an `input` step
 * waits for a person; `disableConcurrentBuilds()` (pipeline options) or a `lock(...)` step is the
 * concurrency control. Comments are blanked first, keeping every offset.
 */
import type { CiConcurrency, CiFile, CiJob, Position } from "./model.js";

/** Replaces comments with spaces (newlines kept), so offsets and line numbers stay exact. */
export function blankGroovyComments(text: string): string {
  let out = text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " "));
  out = out.replace(
    /^([ \t]*)\/\/.*$/gm,
    (m, indent: string) => indent + " ".repeat(m.length - indent.length),
  );
  return out;
}

function positionAt(text: string, file: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { file, line, column: offset - lineStart + 1 };
}

const stagePattern = /\bstage\s*\(\s*(?:name\s*:\s*)?(['"])((?:(?!\1)[^\n])*)\1/g;
const inputPattern = /\binput\s*(?:\(|\{|message\s*:|['"])/;
const lockPattern = /\block\s*\(/;
const tagPattern = /\bbuildingTag\s*\(\s*\)|\btag\s*(?:\(|pattern\s*:|['"])/;

export function parseJenkinsfile(file: string, text: string): CiFile {
  const clean = blankGroovyComments(text);
  const matches = [...clean.matchAll(stagePattern)];
  const firstStage = matches[0]?.index ?? clean.length;
  let pipelineConcurrency: CiConcurrency | undefined;
  const disable = /\bdisableConcurrentBuilds\s*\(/.exec(clean);
  const head = clean.slice(0, firstStage);
  const headLock = lockPattern.exec(head);
  const declared = disable ?? headLock;
  if (declared) {
    pipelineConcurrency = {
      group: "",
      cancelInProgress: disable
        ? /abortPrevious\s*:\s*true/.test(clean.slice(disable.index, disable.index + 80))
        : false,
      level: "pipeline",
      keyword: disable ? "disableConcurrentBuilds()" : "lock()",
      at: positionAt(clean, file, declared.index),
    };
  }
  const jobs: CiJob[] = matches.map((m, i) => {
    const start = m.index ?? 0;
    const end = matches[i + 1]?.index ?? clean.length;
    const body = clean.slice(start, end);
    const name = m[2] ?? "";
    const at = positionAt(clean, file, start);
    const input = inputPattern.exec(body);
    const lock = lockPattern.exec(body);
    const concurrency: CiConcurrency | undefined = lock
      ? {
          group: "",
          cancelInProgress: false,
          level: "job",
          keyword: "lock()",
          at: positionAt(clean, file, start + lock.index),
        }
      : pipelineConcurrency;
    return {
      system: "jenkins",
      id: name,
      at,
      commands: [{ kind: "text", text: body, name, at }],
      ...(input ? { manual: positionAt(clean, file, start + input.index) } : {}),
      ...(concurrency ? { concurrency } : {}),
      needs: i > 0 ? [matches[i - 1]?.[2] ?? ""] : [],
      triggers: [],
      runsOnTags: tagPattern.test(body),
    };
  });
  return { path: file, system: "jenkins", text, jobs, problems: [] };
}
