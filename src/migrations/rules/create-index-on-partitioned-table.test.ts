import { testRule } from "../../../test/support/rule-tester.js";
import { createIndexOnPartitionedTable } from "./create-index-on-partitioned-table.js";

const schema = `CREATE TABLE events (id bigint, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE users (id bigint);`;

testRule(createIndexOnPartitionedTable, {
  valid: [
    {
      name: "the safe pattern",
      schema,
      sql: `CREATE INDEX events_at_idx ON ONLY events (at);
CREATE INDEX CONCURRENTLY events_2024_at_idx ON events_2024 (at);
ALTER INDEX events_at_idx ATTACH PARTITION events_2024_at_idx;`,
    },
    { name: "a plain table", schema, sql: "CREATE INDEX users_id_idx ON users (id);" },
    {
      name: "partitioned table created in the same file",
      sql: "CREATE TABLE p (a int) PARTITION BY LIST (a);\nCREATE INDEX p_a_idx ON p (a);",
    },
  ],
  invalid: [
    {
      schema,
      sql: "CREATE INDEX events_at_idx ON events (at);",
      lines: [1],
      messageIds: ["default"],
    },
    {
      name: "CONCURRENTLY is rejected",
      schema,
      sql: "SELECT 1;\nCREATE INDEX CONCURRENTLY events_id_idx ON events (id);",
      lines: [2],
      messageIds: ["concurrently"],
    },
  ],
});
