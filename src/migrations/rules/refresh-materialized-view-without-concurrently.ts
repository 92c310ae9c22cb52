import { asKind, rangeVarName } from "../ast.js";
import type { Rule } from "../rule.js";
import { mayBeInUse } from "../rule-helpers.js";

export const refreshMaterializedViewWithoutConcurrently: Rule = {
  meta: {
    id: "refresh-materialized-view-without-concurrently",
    description:
      "REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view while it recomputes.",
    severity: "warning",
    messages: {
      default:
        "REFRESH MATERIALIZED VIEW {view} takes an ACCESS EXCLUSIVE lock: every query on {view} waits until the whole query behind it has run again",
      noData:
        "REFRESH MATERIALIZED VIEW {view} WITH NO DATA empties it: every query on {view} fails until the next refresh",
    },
    help: "Use REFRESH MATERIALIZED VIEW CONCURRENTLY, which needs a unique index on the view (CREATE UNIQUE INDEX ... ON the view's key columns, with no WHERE clause) and a view that is already populated.",
  },
  kinds: ["RefreshMatViewStmt"],
  check({ statement, file }) {
    const refresh = asKind(statement.parsed.node, "RefreshMatViewStmt");
    if (!refresh || refresh.concurrent) return [];
    const view = rangeVarName(refresh.relation);
    if (!view || !mayBeInUse(view, file)) return [];
    return [{ messageId: refresh.skipData ? "noData" : "default", data: { view }, relation: view }];
  },
};
