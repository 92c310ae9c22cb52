import { testRule } from "../../../test/support/rule-tester.js";
import { banDropView } from "./ban-drop-view.js";

const schema = `CREATE TABLE orders (id bigint PRIMARY KEY, total numeric, paid boolean);
CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE paid;
CREATE MATERIALIZED VIEW order_totals AS SELECT sum(total) AS total FROM orders;`;

testRule(banDropView, {
  valid: [
    {
      name: "view created in the same file",
      schema,
      sql: "CREATE VIEW v AS SELECT id FROM orders;\nDROP VIEW v;",
    },
    {
      name: "dropped and recreated in the same file",
      schema,
      sql: "BEGIN;\nDROP VIEW paid_orders;\nCREATE VIEW paid_orders AS SELECT id FROM orders WHERE paid;\nCOMMIT;",
    },
    {
      name: "materialized view swapped in by a rename",
      schema,
      sql: "CREATE MATERIALIZED VIEW order_totals_new AS SELECT sum(total) AS total FROM orders;\nDROP MATERIALIZED VIEW order_totals;\nALTER MATERIALIZED VIEW order_totals_new RENAME TO order_totals;",
    },
    { name: "IF EXISTS of a view the catalog does not know", schema, sql: "DROP VIEW IF EXISTS old_report;" },
    {
      name: "approved inline",
      schema,
      sql: "-- shipgate:allow ban-drop-view reason: unused since v30\nDROP VIEW paid_orders;",
    },
  ],
  invalid: [
    { schema, sql: "DROP VIEW paid_orders;", lines: [1] },
    { schema, sql: "SELECT 1;\nDROP MATERIALIZED VIEW IF EXISTS order_totals;", lines: [2] },
    {
      name: "several views, one unknown to the catalog",
      schema,
      sql: "DROP VIEW paid_orders, report;",
      lines: [1, 1],
    },
    {
      name: "only the view that existed before the file",
      schema,
      sql: "DROP VIEW paid_orders;\nCREATE VIEW other AS SELECT 1;\nDROP VIEW other;",
      lines: [1],
    },
  ],
});
