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
      name: "a DO block in another language is not parsed",
      sql: "DO LANGUAGE plperl $$ my $x = 1; $$;",
    },
  ],
  invalid: [
    {
      sql: "DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood') THEN\n    CREATE TYPE mood AS ENUM ('happy', 'sad');\n  END IF;\nEND\n$$;",
      lines: [4],
      messageIds: ["hidden"],
    },
    {
      name: "literal EXECUTE and dynamic EXECUTE",
      sql: "SELECT 1;\nDO $$\nBEGIN\n  EXECUTE 'CREATE INDEX t_a_idx ON t (a)';\n  EXECUTE format('DROP TABLE %I', 'old_' || 'stuff');\n  ALTER TABLE t ADD COLUMN b int;\nEND\n$$;",
      lines: [2, 4, 6],
      messageIds: ["dynamic", "hidden", "hidden"],
    },
  ],
});
