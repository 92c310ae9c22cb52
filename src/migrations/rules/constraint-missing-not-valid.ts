import type { AlterTableCmd, Constraint } from "libpg-query";
import type { LockMode } from "../../core/finding.js";
import { asKind, rangeVarName } from "../ast.js";
import type { FileState, Rule, RuleReport } from "../rule.js";

function alterCmds(node: Parameters<typeof asKind>[0]): { table: string | undefined; cmds: AlterTableCmd[] } {
  const alter = asKind(node, "AlterTableStmt");
  return {
    table: alter?.objtype === "OBJECT_TABLE" ? rangeVarName(alter.relation) : undefined,
    cmds: (alter?.cmds ?? []).map((c) => asKind(c, "AlterTableCmd")).filter((c) => c !== undefined),
  };
}

/** Whether a column constraint is followed by NOT ENFORCED (PG 18), which skips validation. */
function notEnforced(constraints: readonly (Constraint | undefined)[], index: number): boolean {
  for (let i = index + 1; i < constraints.length; i++) {
    const type = constraints[i]?.contype;
    if (type === "CONSTR_ATTR_NOT_ENFORCED") return true;
    if (type === undefined || !type.startsWith("CONSTR_ATTR_")) return false;
  }
  return false;
}

/** The NOT VALID constraint `name` added to `table` by one of `cmds`, if any. */
function addedNotValid(cmds: readonly AlterTableCmd[], name: string): Constraint | undefined {
  for (const cmd of cmds) {
    const con = cmd.subtype === "AT_AddConstraint" ? asKind(cmd.def, "Constraint") : undefined;
    if (con?.skip_validation && con.conname === name) return con;
  }
  return undefined;
}

/**
 * The NOT VALID constraint `name` on `table` added earlier in the transaction that is open now
 * (walking back to the COMMIT/ROLLBACK that ended the previous one).
 */
function addedInThisTransaction(file: FileState, table: string, name: string): Constraint | undefined {
  if (!file.inTransaction) return undefined;
  for (let i = file.previous.length - 1; i >= 0; i--) {
    const node = file.previous[i]?.parsed.node;
    const txn = asKind(node, "TransactionStmt");
    if (txn) {
      if (txn.kind === "TRANS_STMT_BEGIN" || txn.kind === "TRANS_STMT_START") {
        // In autocommit, statements before BEGIN were committed one by one.
        if (file.transactionModel === "none") return undefined;
        continue;
      }
      if (
        txn.kind === "TRANS_STMT_COMMIT" ||
        txn.kind === "TRANS_STMT_ROLLBACK" ||
        txn.kind === "TRANS_STMT_PREPARE" ||
        txn.kind === "TRANS_STMT_COMMIT_PREPARED" ||
        txn.kind === "TRANS_STMT_ROLLBACK_PREPARED"
      ) {
        return undefined;
      }
      continue;
    }
    const earlier = alterCmds(node);
    if (earlier.table !== table) continue;
    const con = addedNotValid(earlier.cmds, name);
    if (con) return con;
  }
  return undefined;
}

export const constraintMissingNotValid: Rule = {
  meta: {
    id: "constraint-missing-not-valid",
    description:
      "A CHECK constraint added to an existing table without NOT VALID (or validated in the same transaction that added it) scans the table under a blocking lock.",
    severity: "error",
    messages: {
      default:
        "ADD CONSTRAINT {constraint} CHECK on {table} without NOT VALID scans every row while holding ACCESS EXCLUSIVE, blocking reads and writes",
      addColumn:
        "ADD COLUMN {column} with a CHECK constraint scans every row of {table} while holding ACCESS EXCLUSIVE, blocking reads and writes",
      validateInTransaction:
        "VALIDATE CONSTRAINT {constraint} runs in the transaction that added it NOT VALID, so the scan of {table} happens while the {lock} lock taken by ADD CONSTRAINT is still held",
    },
    help: "Add the constraint with NOT VALID (brief lock, no scan), then run ALTER TABLE ... VALIDATE CONSTRAINT in a separate transaction: validation takes SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.",
  },
  kinds: ["AlterTableStmt"],
  check({ statement, file }) {
    const { table, cmds } = alterCmds(statement.parsed.node);
    if (!table || !file.existedBeforeFile(table)) return [];
    const reports: RuleReport[] = [];
    for (const [i, cmd] of cmds.entries()) {
      if (cmd.subtype === "AT_AddConstraint") {
        const con = asKind(cmd.def, "Constraint");
        if (con?.contype !== "CONSTR_CHECK" || con.skip_validation) continue;
        reports.push({
          messageId: "default",
          data: { table, constraint: con.conname ?? "(unnamed)" },
          relation: table,
        });
      } else if (cmd.subtype === "AT_AddColumn") {
        const def = asKind(cmd.def, "ColumnDef");
        const constraints = (def?.constraints ?? []).map((c) => asKind(c, "Constraint"));
        const hasCheck = constraints.some(
          (c, index) => c?.contype === "CONSTR_CHECK" && !notEnforced(constraints, index),
        );
        if (hasCheck) {
          reports.push({
            messageId: "addColumn",
            data: { table, column: def?.colname ?? "" },
            relation: table,
            help: "Add the column without the CHECK, then add the constraint with NOT VALID and run VALIDATE CONSTRAINT in a separate transaction.",
          });
        }
      } else if (cmd.subtype === "AT_ValidateConstraint" && cmd.name) {
        const con =
          addedNotValid(cmds.slice(0, i), cmd.name) ?? addedInThisTransaction(file, table, cmd.name);
        if (!con) continue;
        const lock: LockMode = con.contype === "CONSTR_FOREIGN" ? "SHARE ROW EXCLUSIVE" : "ACCESS EXCLUSIVE";
        reports.push({
          messageId: "validateInTransaction",
          data: { table, constraint: cmd.name, lock },
          relation: table,
          lock,
          help: "Commit after ADD CONSTRAINT ... NOT VALID and run VALIDATE CONSTRAINT in its own transaction (a separate migration when the runner wraps each file in one).",
        });
      }
    }
    return reports;
  },
};
