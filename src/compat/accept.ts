/**
 * Accepted breaks: `.shipgate-compat.yaml` lists breaking changes a team decided to ship, each with
 * the rule id, the operation, the JSON pointer, a reason and an expiry date.
 *
 *   accept:
 *     - rule: response-property-removed
 *       operation: GET /orders/{id}
 *       pointer: /paths/~1orders~1{id}/get/responses/200/content/application~1json/schema/properties/legacy
 *       reason: no client has read `legacy` since v3 (checked in the access logs)
 *       expires: 2026-12-31
 *
 * A matching finding is kept, approved (suppression kind "config"), so it shows but never fails the
 * gate. An expired entry approves nothing and is itself an error; an entry that matches nothing is a
 * warning, so the file does not fill up with stale approvals.
 */
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { ShipgateError } from "../core/errors.js";
import type { Finding } from "../core/finding.js";
import { type CompatRuleId, compatRuleDocsUrl, compatRules } from "./rules.js";

const dateText = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const text = v instanceof Date ? v.toISOString().slice(0, 10) : v.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
    ctx.addIssue({ code: "custom", message: `expected a date YYYY-MM-DD, got "${text}"` });
    return z.NEVER;
  }
  return text;
});

const entrySchema = z
  .object({
    rule: z.string().min(1),
    operation: z.string().min(1).optional(),
    pointer: z.string(),
    reason: z.string().trim().min(10, "say why in at least 10 characters"),
    expires: dateText,
  })
  .strict();

const fileSchema = z.object({ accept: z.array(entrySchema).default([]) }).strict();

export interface AcceptEntry {
  rule: string;
  /** Normalised: "GET /orders/{id}" (method upper case), or a GraphQL coordinate. */
  operation: string | undefined;
  /** Without a leading "#". */
  pointer: string;
  reason: string;
  /** YYYY-MM-DD; the entry is valid through that day (UTC). */
  expires: string;
  /** 1-based line of the entry in the file. */
  line: number;
}

export interface AcceptFile {
  /** As findings name it (relative to the working directory). */
  path: string;
  entries: AcceptEntry[];
}

export function normalizeOperation(operation: string | undefined): string | undefined {
  if (operation === undefined) return undefined;
  const m = /^\s*([A-Za-z]+)\s+(\S.*?)\s*$/.exec(operation);
  return m ? `${(m[1] as string).toUpperCase()} ${m[2]}` : operation.trim();
}

function normalizePointer(pointer: string): string {
  return pointer.startsWith("#") ? pointer.slice(1) : pointer;
}

/** Parses and validates the accept file; every problem is reported with its path. */
export function parseAcceptFile(text: string, path: string): AcceptFile {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ShipgateError("CONFIG_INVALID", `${path} is not valid YAML`, {
      details: doc.errors.map((e) => e.message.split("\n")[0] ?? e.message),
      hint: "Fix the YAML syntax at the line shown.",
    });
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = fileSchema.safeParse(raw);
  if (!result.success) {
    throw new ShipgateError("CONFIG_INVALID", `${path} is invalid`, {
      details: result.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`),
      hint: "Each entry needs rule, operation, pointer, reason (why the break is acceptable) and expires (YYYY-MM-DD); see docs/compat.md.",
    });
  }
  const lines: number[] = [];
  const list = isMap(doc.contents) ? doc.contents.get("accept", true) : undefined;
  if (isSeq(list)) {
    for (const item of list.items) {
      const offset = (item as { range?: [number, number, number] }).range?.[0];
      lines.push(offset === undefined ? 1 : counter.linePos(offset).line);
    }
  }
  return {
    path,
    entries: result.data.accept.map((e, i) => ({
      rule: e.rule,
      operation: normalizeOperation(e.operation),
      pointer: normalizePointer(e.pointer),
      reason: e.reason,
      expires: e.expires,
      line: lines[i] ?? 1,
    })),
  };
}

function acceptFinding(ruleId: CompatRuleId, message: string, file: string, line: number): Finding {
  const meta = compatRules[ruleId];
  return {
    ruleId,
    severity: meta.severity,
    file,
    line,
    message,
    help: meta.help,
    docsUrl: compatRuleDocsUrl(ruleId),
  };
}

export interface ApplyAcceptOptions {
  now: Date;
  /** Which entries belong to this run: the others are neither applied nor reported as unused. */
  owns: (rule: string) => boolean;
}

/**
 * Marks the findings an unexpired entry accepts (suppression kind "config"), and returns them with a
 * compat-accept-expired error per expired entry and a compat-accept-unused warning per entry that
 * matched nothing.
 */
export function applyAccepted(
  findings: readonly Finding[],
  file: AcceptFile,
  options: ApplyAcceptOptions,
): Finding[] {
  const today = options.now.toISOString().slice(0, 10);
  const out = findings.map((f) => ({ ...f }));
  const extra: Finding[] = [];
  for (const entry of file.entries) {
    if (!options.owns(entry.rule)) continue;
    const where = `${entry.rule} at ${entry.operation ?? "(no operation)"} ${entry.pointer}`;
    if (entry.expires < today) {
      extra.push(
        acceptFinding(
          "compat-accept-expired",
          `accepted break ${where} expired on ${entry.expires}: it no longer approves the change`,
          file.path,
          entry.line,
        ),
      );
      continue;
    }
    let used = false;
    for (const f of out) {
      if (f.ruleId !== entry.rule || (f.operation ?? undefined) !== entry.operation) continue;
      if ((f.pointer ?? "") !== entry.pointer) continue;
      used = true;
      f.suppression ??= { kind: "config", reason: `${entry.reason} (accepted until ${entry.expires})` };
    }
    if (!used) {
      extra.push(
        acceptFinding(
          "compat-accept-unused",
          `accepted break ${where} matches no finding: remove it from ${file.path}`,
          file.path,
          entry.line,
        ),
      );
    }
  }
  return [...out, ...extra];
}
