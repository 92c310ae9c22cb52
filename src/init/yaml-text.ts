/**
 * Writing YAML by hand, with comments where a reader needs them: scalars quoted only when YAML needs
 * it (the yaml library decides), multi-line scripts as literal blocks, and GitHub Actions steps.
 */
import { stringify } from "yaml";

/** A string as a YAML scalar on one line: plain when that reads back the same, else quoted. */
export function scalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** `key: value` (one line) or `key: |` with the lines indented below, at `indent` spaces. */
export function keyValue(key: string, value: string, indent: number): string[] {
  const pad = " ".repeat(indent);
  if (!value.includes("\n")) return [`${pad}${key}: ${scalar(value)}`];
  return [
    `${pad}${key}: |`,
    ...value
      .replace(/\n$/, "")
      .split("\n")
      .map((l) => (l === "" ? "" : `${pad}  ${l}`)),
  ];
}

/** An item of a block sequence (`- value`, or `- |` with the lines below), at `indent` spaces. */
export function seqItem(value: string, indent: number): string[] {
  const pad = " ".repeat(indent);
  if (!value.includes("\n")) return [`${pad}- ${scalar(value)}`];
  return [
    `${pad}- |`,
    ...value
      .replace(/\n$/, "")
      .split("\n")
      .map((l) => (l === "" ? "" : `${pad}    ${l}`)),
  ];
}

export interface GithubStep {
  name?: string;
  /** A comment line written above the step's keys. */
  comment?: string;
  uses?: string;
  with?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string>>;
  run?: string;
}

/** A step of a job's `steps:` list, at `indent` spaces (6 in a conventionally indented workflow). */
export function githubStep(step: GithubStep, indent = 6): string[] {
  const pad = " ".repeat(indent);
  const body: string[] = [];
  if (step.name !== undefined) body.push(...keyValue("name", step.name, 0));
  if (step.comment !== undefined) body.push(...step.comment.split("\n").map((l) => `# ${l}`));
  if (step.uses !== undefined) body.push(`uses: ${scalar(step.uses)}`);
  if (step.with !== undefined && Object.keys(step.with).length > 0) {
    body.push("with:");
    for (const [k, v] of Object.entries(step.with)) body.push(...keyValue(k, v, 2));
  }
  if (step.env !== undefined && Object.keys(step.env).length > 0) {
    body.push("env:");
    for (const [k, v] of Object.entries(step.env)) body.push(...keyValue(k, v, 2));
  }
  if (step.run !== undefined) body.push(...keyValue("run", step.run, 0));
  return body.map((line, i) => (line === "" ? "" : `${pad}${i === 0 ? "- " : "  "}${line}`));
}

/** Lines joined with newlines, ending with one. */
export function lines(parts: readonly (string | readonly string[])[]): string {
  return `${parts.flat().join("\n")}\n`;
}
