/**
 * What the static analysis expects of each statement (facts.ts: the lock per relation, rewrites),
 * computed with the same catalog replay the linter uses, so that verify can say where Postgres did
 * something else. Findings carry only the strongest lock; the comparison needs every relation.
 */
import type { LockMode } from "../../core/finding.js";
import { asKind, rangeVarName } from "../ast.js";
import { Catalog } from "../catalog.js";
import { describeStatement, lockRank } from "../facts.js";
import type { ParsedFile, ParsedStatement } from "../parse.js";

export interface PredictedFacts {
  /** Expected lock per relation that existed before the file (the strongest, DO-block children included). */
  locks: Map<string, LockMode>;
  /** Existing relations expected to be rewritten. */
  rewrites: Set<string>;
}

export interface PredictInput {
  parsed: ParsedFile;
  /** replay: build the catalog only; predict: record the facts of each statement. */
  role: "replay" | "predict";
}

function createdRelation(stmt: ParsedStatement): string | undefined {
  const node = stmt.node;
  return (
    rangeVarName(asKind(node, "CreateStmt")?.relation) ??
    rangeVarName(asKind(node, "CreateTableAsStmt")?.into?.rel) ??
    rangeVarName(asKind(node, "ViewStmt")?.view) ??
    rangeVarName(asKind(node, "CreateForeignTableStmt")?.base?.relation)
  );
}

/** Expected facts of every top-level statement of the `predict` files, keyed by the statement. */
export function predictFacts(
  files: readonly PredictInput[],
  pgVersion: number,
): Map<ParsedStatement, PredictedFacts> {
  const catalog = new Catalog();
  const out = new Map<ParsedStatement, PredictedFacts>();
  for (const file of files) {
    if (file.role === "replay") {
      for (const stmt of file.parsed.statements) catalog.apply(stmt);
      continue;
    }
    const createdHere = new Set<string>();
    const scope = { existedBeforeFile: (relation: string) => !createdHere.has(relation) };
    const visit = (stmt: ParsedStatement, into: PredictedFacts) => {
      const facts = describeStatement(stmt, catalog, scope, pgVersion);
      for (const l of facts.locks) {
        if (!l.existing) continue;
        const prior = into.locks.get(l.relation);
        if (prior === undefined || lockRank(l.mode) > lockRank(prior)) into.locks.set(l.relation, l.mode);
      }
      for (const r of facts.rewrites) into.rewrites.add(r);
      const created = createdRelation(stmt);
      if (created && !catalog.relation(created)) createdHere.add(created);
      catalog.apply({ ...stmt, children: [] });
      for (const child of stmt.children) visit(child, into);
    };
    for (const stmt of file.parsed.statements) {
      const facts: PredictedFacts = { locks: new Map(), rewrites: new Set() };
      visit(stmt, facts);
      out.set(stmt, facts);
    }
  }
  return out;
}
