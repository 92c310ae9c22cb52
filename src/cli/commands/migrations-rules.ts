/** `shipgate migrations rules`: the rule catalogue as data. */
import { ruleDocsUrl } from "../../core/docs.js";
import type { Severity } from "../../core/finding.js";
import { engineRuleMetas } from "../../migrations/engine-rules.js";
import { allRules } from "../../migrations/rules/index.js";

export interface RuleListing {
  id: string;
  severity: Severity;
  optIn: boolean;
  pgVersions: string;
  description: string;
  docsUrl: string;
}

export function runMigrationsRules(): RuleListing[] {
  const rules = allRules.map((r) => ({
    id: r.meta.id,
    severity: r.meta.severity,
    optIn: Boolean(r.meta.optIn),
    pgVersions:
      r.meta.minPgVersion !== undefined || r.meta.maxPgVersion !== undefined
        ? `${r.meta.minPgVersion ?? ""}..${r.meta.maxPgVersion !== undefined ? `<${r.meta.maxPgVersion}` : ""}`
        : "all",
    description: r.meta.description,
    docsUrl: ruleDocsUrl(r.meta.id),
  }));
  const engine = Object.values(engineRuleMetas).map((m) => ({
    id: m.id,
    severity: m.severity as Severity,
    optIn: false,
    pgVersions: "all",
    description: m.description,
    docsUrl: ruleDocsUrl(m.id),
  }));
  return [...rules, ...engine].sort((a, b) => a.id.localeCompare(b.id));
}
