/**
 * Findings the engine itself reports (the parser's and the directives'), described like rules so
 * that they have ids, severities and doc pages like every other finding.
 */
import type { RuleMeta } from "./rule.js";

export const engineRuleMetas = {
  "syntax-error": {
    id: "syntax-error",
    description: "A statement Postgres cannot parse.",
    severity: "error",
    messages: { default: "{message}" },
    help: "Fix the statement; every other statement in the file is still checked. Until it parses, the file is classed destructive: shipgate cannot tell what the statement does.",
  },
  "psql-meta-command": {
    id: "psql-meta-command",
    description: "A psql meta-command (\\set, \\i, \\connect …) in a migration file.",
    severity: "warning",
    messages: { default: "{message}" },
    help: "Use plain SQL (SET, SELECT set_config(...)) so any migration runner can apply the file.",
  },
  "invalid-utf8": {
    id: "invalid-utf8",
    description: "A migration file that is not valid UTF-8.",
    severity: "error",
    messages: { default: "{message}" },
    help: "Convert the file to UTF-8, e.g. `iconv -f latin1 -t utf-8`.",
  },
  "invalid-ignore": {
    id: "invalid-ignore",
    description: "A shipgate:allow directive without rule ids, without a reason, or naming an unknown rule.",
    severity: "error",
    messages: {
      bare: "shipgate:allow must name the rule ids it allows and give a reason",
      noReason: "shipgate:allow {ids} has no reason; write `reason: <why this is safe>`",
      unknownRule: "shipgate:allow names unknown rule id {id}",
    },
    help: "Write `-- shipgate:allow <rule-id>[, <rule-id>] reason: <why it is safe>` on the line before the statement.",
  },
  "unused-ignore": {
    id: "unused-ignore",
    description: "A shipgate:allow directive that allows nothing.",
    severity: "warning",
    messages: { default: "shipgate:allow {ids} matches no finding on the statement it precedes" },
    help: "Remove the directive, or move it to the line before the statement it is meant for.",
  },
} as const satisfies Record<string, RuleMeta>;

export type EngineRuleId = keyof typeof engineRuleMetas;
