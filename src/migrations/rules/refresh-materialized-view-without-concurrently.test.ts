import { testRule } from "../../../test/support/rule-tester.js";
import { refreshMaterializedViewWithoutConcurrently } from "./refresh-materialized-view-without-concurrently.js";

const schema = `CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);
CREATE MATERIALIZED VIEW order_counts AS SELECT user_id, count(*) AS n FROM orders GROUP BY user_id;
CREATE UNIQUE INDEX order_counts_user_id_key ON order_counts (user_id);`;

testRule(refreshMaterializedViewWithoutConcurrently, {
  valid: [
    { name: "concurrently", schema, sql: "REFRESH MATERIALIZED VIEW CONCURRENTLY order_counts;" },
    {
      name: "view created in the same file",
      schema,
      sql: "CREATE MATERIALIZED VIEW totals AS SELECT count(*) FROM orders WITH NO DATA;\nREFRESH MATERIALIZED VIEW totals;",
    },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow refresh-materialized-view-without-concurrently reason: nightly job, nobody reads it then\nREFRESH MATERIALIZED VIEW order_counts;",
    },
  ],
  invalid: [
    { schema, sql: "REFRESH MATERIALIZED VIEW order_counts;", lines: [1], messageIds: ["default"] },
    {
      schema,
      sql: "SELECT 1;\nREFRESH MATERIALIZED VIEW public.order_counts WITH NO DATA;",
      lines: [2],
      messageIds: ["noData"],
    },
    { name: "a view the catalog does not know", sql: "REFRESH MATERIALIZED VIEW daily_stats;", lines: [1] },
  ],
});
