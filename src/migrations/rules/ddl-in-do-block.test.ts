import { testRule } from "../../../test/support/rule-tester.js";
import { ddlInDoBlock } from "./ddl-in-do-block.js";

testRule(ddlInDoBlock, {
  valid: [
    { name: "top-level DDL", sql: "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN a int;" },
    {
      name: "data changes and queries in a DO block",
      sql: "DO $$\nDECLARE n int;\nBEGIN\n  SELECT count(*) INTO n FROM t;\n  UPDATE t SET a = 1 WHERE id = n;\n  INSERT INTO t (id) VALUES (1);\n  PERFORM pg_sleep(0);\nEND\n$$;",
    },
    {
      name: "additive DDL in an idempotent DO block (ORM-generated CREATE TYPE)",
      sql: "DO $$ BEGIN\n  CREATE TYPE mood AS ENUM ('happy', 'sad');\nEXCEPTION\n  WHEN duplicate_object THEN null;\nEND $$;",
    },
    {
      name: "a DO block in another language is not parsed",
      sql: "DO LANGUAGE plperl $$ my $x = 1; $$;",
    },
  ],
  invalid: [
    {
      name: "a guarded DO block that drops a column of an existing table",
      schema: "CREATE TABLE t (id int, a int);",
      sql: "DO $$\nBEGIN\n  IF EXISTS (SELECT 1 FROM pg_attribute WHERE attname = 'a') THEN\n    ALTER TABLE t DROP COLUMN a;\n  END IF;\nEND\n$$;",
      lines: [4],
      messageIds: ["hidden"],
    },
    {
      name: "literal EXECUTE and dynamic EXECUTE",
      sql: "SELECT 1;\nDO $$\nBEGIN\n  EXECUTE 'CREATE INDEX t_a_idx ON t (a)';\n  EXECUTE format('DROP TABLE %I', 'old_' || 'stuff');\n  ALTER TABLE t ADD COLUMN b int;\nEND\n$$;",
      lines: [2, 4],
      messageIds: ["dynamic", "hidden"],
    },
  ],
});
