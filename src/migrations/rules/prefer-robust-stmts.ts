import type { Node } from "libpg-query";
import { asKind, rangeVarName, stringList } from "../ast.js";
import type { AnalyzedStatement, Rule, RuleReport, TransactionModel } from "../rule.js";

/**
 * Splits the file's top-level statements into the units that commit together, as Postgres runs them:
 * an explicit BEGIN…COMMIT block, the runner's transaction around a per-file migration, the implicit
 * transaction of a multi-statement query (which a COMMIT ends), or a single autocommit statement.
 * Returns, for each statement, the index of the last statement of its unit.
 */
function unitEnds(model: TransactionModel, top: readonly AnalyzedStatement[]): number[] {
  const ends: number[] = new Array<number>(top.length).fill(top.length - 1);
  const implicit = model === "implicit" && top.length > 1;
  let open = model === "per-file" || implicit;
  let unitStart = 0;
  const close = (end: number) => {
    for (let j = unitStart; j <= end; j++) ends[j] = end;
    unitStart = end + 1;
  };
  for (const [i, s] of top.entries()) {
    const txn = asKind(s.parsed.node, "TransactionStmt");
    const begins = txn?.kind === "TRANS_STMT_BEGIN" || txn?.kind === "TRANS_STMT_START";
    const closes =
      ((txn?.kind === "TRANS_STMT_COMMIT" || txn?.kind === "TRANS_STMT_ROLLBACK") && !txn.chain) ||
      txn?.kind === "TRANS_STMT_PREPARE";
    if (!open) {
      if (begins) {
        unitStart = i;
        open = true;
      } else close(i);
      continue;
    }
    if (closes) {
      close(i);
      // In a multi-statement query the next statement starts a new implicit transaction.
      open = implicit;
    }
  }
  if (unitStart < top.length) close(top.length - 1);
  return ends;
}

/** Whether `s` can stop the migration halfway when it fails (SET, SHOW and transaction control are not counted). */
function canFail(s: AnalyzedStatement): boolean {
  return (
    s.parsed.kind !== "VariableSetStmt" &&
    s.parsed.kind !== "VariableShowStmt" &&
    s.parsed.kind !== "TransactionStmt"
  );
}

function bare(name: string | undefined): string | undefined {
  return name?.split(".").pop();
}

const dropTypeNames: Record<string, string> = {
  OBJECT_MATVIEW: "materialized view",
  OBJECT_FOREIGN_TABLE: "foreign table",
};

function objectName(obj: Node): string {
  const list = asKind(obj, "List")?.items;
  if (list) return stringList(list).join(".");
  const type = asKind(obj, "TypeName");
  if (type) return stringList(type.names).join(".");
  const func = asKind(obj, "ObjectWithArgs");
  if (func) return stringList(func.objname).join(".");
  return asKind(obj, "String")?.sval ?? "";
}

interface Unguarded {
  messageId: "create" | "drop" | "addConstraint" | "concurrentIndex" | "unnamedIndex";
  object: string;
  /** A failed concurrent build leaves an INVALID index behind even when nothing else fails. */
  residue?: boolean;
}

/** The create/drop parts of a statement that fail when the migration is re-run after it succeeded. */
function unguarded(s: AnalyzedStatement, before: readonly AnalyzedStatement[]): Unguarded[] {
  const node = s.parsed.node;
  const out: Unguarded[] = [];
  const create = asKind(node, "CreateStmt");
  if (create && !create.if_not_exists) {
    out.push({ messageId: "create", object: `table ${rangeVarName(create.relation)}` });
  }
  const index = asKind(node, "IndexStmt");
  if (index && !index.if_not_exists) {
    const name = index.idxname;
    const droppedFirst = before.some((b) => {
      const drop = asKind(b.parsed.node, "DropStmt");
      return (
        drop?.removeType === "OBJECT_INDEX" &&
        drop.missing_ok &&
        (drop.objects ?? []).some((o) => bare(objectName(o)) === name)
      );
    });
    const residue = Boolean(index.concurrent);
    if (name === undefined) {
      out.push({ messageId: "unnamedIndex", object: `${rangeVarName(index.relation)}`, residue });
    } else if (!droppedFirst) {
      out.push({ messageId: residue ? "concurrentIndex" : "create", object: `index ${name}`, residue });
    }
  }
  const ctas = asKind(node, "CreateTableAsStmt");
  if (ctas && !ctas.if_not_exists) {
    const kind = ctas.objtype === "OBJECT_MATVIEW" ? "materialized view" : "table";
    out.push({ messageId: "create", object: `${kind} ${rangeVarName(ctas.into?.rel)}` });
  }
  const seq = asKind(node, "CreateSeqStmt");
  if (seq && !seq.if_not_exists)
    out.push({ messageId: "create", object: `sequence ${rangeVarName(seq.sequence)}` });
  const schema = asKind(node, "CreateSchemaStmt");
  if (schema && !schema.if_not_exists)
    out.push({ messageId: "create", object: `schema ${schema.schemaname}` });
  const ext = asKind(node, "CreateExtensionStmt");
  if (ext && !ext.if_not_exists) out.push({ messageId: "create", object: `extension ${ext.extname}` });
  const drop = asKind(node, "DropStmt");
  if (drop && !drop.missing_ok) {
    const type =
      dropTypeNames[drop.removeType ?? ""] ??
      (drop.removeType ?? "")
        .replace(/^OBJECT_/, "")
        .toLowerCase()
        .replace(/_/g, " ");
    for (const o of drop.objects ?? []) out.push({ messageId: "drop", object: `${type} ${objectName(o)}` });
  }
  const alter = asKind(node, "AlterTableStmt");
  const table = rangeVarName(alter?.relation);
  for (const c of alter?.cmds ?? []) {
    const cmd = asKind(c, "AlterTableCmd");
    if (!cmd || cmd.missing_ok) continue;
    if (cmd.subtype === "AT_AddColumn") {
      out.push({
        messageId: "create",
        object: `column ${asKind(cmd.def, "ColumnDef")?.colname} on ${table}`,
      });
    } else if (cmd.subtype === "AT_DropColumn") {
      out.push({ messageId: "drop", object: `column ${cmd.name} on ${table}` });
    } else if (cmd.subtype === "AT_DropConstraint") {
      out.push({ messageId: "drop", object: `constraint ${cmd.name} on ${table}` });
    } else if (cmd.subtype === "AT_AddConstraint") {
      const name = asKind(cmd.def, "Constraint")?.conname;
      const droppedFirst = before.some((b) => {
        const prev = asKind(b.parsed.node, "AlterTableStmt");
        return (
          bare(rangeVarName(prev?.relation)) === bare(table) &&
          (prev?.cmds ?? []).some((pc) => {
            const p = asKind(pc, "AlterTableCmd");
            return p?.subtype === "AT_DropConstraint" && p.missing_ok && p.name === name;
          })
        );
      });
      if (name === undefined || !droppedFirst) {
        out.push({ messageId: "addConstraint", object: `constraint ${name ?? "(unnamed)"} on ${table}` });
      }
    }
  }
  return out;
}

export const preferRobustStmts: Rule = {
  meta: {
    id: "prefer-robust-stmts",
    description:
      "CREATE without IF NOT EXISTS or DROP without IF EXISTS where a failure later in a non-transactional migration leaves the file impossible to re-run.",
    severity: "warning",
    optIn: true,
    messages: {
      create:
        "{object} is created without IF NOT EXISTS and commits before the rest of the migration: if a later statement fails, re-running the migration fails here",
      drop: "{object} is dropped without IF EXISTS and commits before the rest of the migration: if a later statement fails, re-running the migration fails here",
      addConstraint:
        "{object} is added without a DROP CONSTRAINT IF EXISTS before it and commits before the rest of the migration: if a later statement fails, re-running the migration fails here",
      concurrentIndex:
        "CREATE INDEX CONCURRENTLY of {object} has no IF NOT EXISTS and no DROP INDEX IF EXISTS before it: a failed build leaves an INVALID index behind, and re-running the migration fails on it",
      unnamedIndex:
        "an index on {object} without a name gets a new name on every run: re-running the migration after a failure builds a duplicate index",
    },
    help: "Guard the statement (CREATE ... IF NOT EXISTS, DROP ... IF EXISTS, ADD COLUMN IF NOT EXISTS, DROP CONSTRAINT IF EXISTS before ADD CONSTRAINT) so a partially applied migration can be re-run.",
  },
  checkEnd({ file, statements }): RuleReport[] {
    const top = statements.filter((s) => s.parent === undefined);
    const ends = unitEnds(file.transactionModel, top);
    const reports: RuleReport[] = [];
    for (const [i, s] of top.entries()) {
      const laterFailure = top.slice((ends[i] ?? i) + 1).some(canFail);
      for (const u of unguarded(s, top.slice(0, i))) {
        if (laterFailure || (u.residue && ends[i] === i)) {
          reports.push({ messageId: u.messageId, data: { object: u.object }, statement: s });
        }
      }
    }
    return reports;
  },
};
