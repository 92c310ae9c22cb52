import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ShipgateError } from "../core/errors.js";
import { runShellCommand } from "../core/exec.js";
import { type DiscoverOptions, discoverMigrations, transactionModelFor } from "./discover.js";
import type { MigrationSource } from "./lint.js";

const made: string[] = [];

afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

/** Builds a temp directory holding the given files (paths with forward slashes). */
async function tree(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "shipgate-discover-"));
  made.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(root, ...rel.split("/"));
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
  return root;
}

function discover(cwd: string, options: Partial<DiscoverOptions> = {}) {
  return discoverMigrations({ cwd, paths: [], ...options });
}

function paths(sources: readonly MigrationSource[]): string[] {
  return sources.map((s) => s.path);
}

async function failure(promise: Promise<unknown>): Promise<ShipgateError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ShipgateError);
    return error as ShipgateError;
  }
  throw new Error("expected a ShipgateError");
}

describe("transactionModelFor", () => {
  it("maps every framework to its runner's model", () => {
    expect(transactionModelFor("prisma")).toBe("implicit");
    expect(transactionModelFor("golang-migrate")).toBe("implicit");
    expect(transactionModelFor("drizzle")).toBe("per-file");
    expect(transactionModelFor("flyway")).toBe("implicit");
    expect(transactionModelFor("dbmate")).toBe("per-file");
    expect(transactionModelFor("node-pg-migrate")).toBe("per-file");
    expect(transactionModelFor("sql")).toBe("none");
  });
});

describe("prisma", () => {
  it("is found under prisma/migrations and ordered by directory name", async () => {
    const cwd = await tree({
      "prisma/schema.prisma": "model A {}",
      "prisma/migrations/migration_lock.toml": 'provider = "postgresql"',
      "prisma/migrations/20240301000000_add_email/migration.sql": "ALTER TABLE users ADD COLUMN email text;",
      "prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE users (id int);",
      "prisma/migrations/20240201000000_posts/migration.sql": "CREATE TABLE posts (id int);",
      "prisma/migrations/20240401000000_empty/README.md": "no migration here",
    });
    const result = await discover(cwd);
    expect(result.framework).toBe("prisma");
    expect(paths(result.targets)).toEqual([
      "prisma/migrations/20240101000000_init/migration.sql",
      "prisma/migrations/20240201000000_posts/migration.sql",
      "prisma/migrations/20240301000000_add_email/migration.sql",
    ]);
    expect(result.targets.every((t) => t.transactionModel === "implicit")).toBe(true);
    expect(result.targets[0]?.text).toBe("CREATE TABLE users (id int);");
    expect(result.baseline).toEqual([]);
  });

  it("is detected from an explicit path, including prisma/ itself", async () => {
    const cwd = await tree({
      "prisma/migrations/20240101000000_init/migration.sql": "CREATE TABLE a (id int);",
      "prisma/migrations/20240102000000_b/migration.sql": "CREATE TABLE b (id int);",
    });
    const viaMigrations = await discover(cwd, { paths: ["prisma/migrations"] });
    expect(viaMigrations.framework).toBe("prisma");
    expect(viaMigrations.targets).toHaveLength(2);
    const viaPrisma = await discover(cwd, { paths: ["prisma"] });
    expect(viaPrisma.framework).toBe("prisma");
    expect(paths(viaPrisma.targets)).toEqual(paths(viaMigrations.targets));
  });
});

describe("drizzle", () => {
  const journal = JSON.stringify({
    version: "7",
    dialect: "postgresql",
    entries: [
      { idx: 0, version: "7", when: 1, tag: "0000_init", breakpoints: true },
      { idx: 1, version: "7", when: 2, tag: "0001_zebra", breakpoints: true },
      { idx: 2, version: "7", when: 3, tag: "0002_apple", breakpoints: true },
    ],
  });

  it("follows meta/_journal.json and keeps statement-breakpoint comments", async () => {
    const init = "CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);\n";
    const cwd = await tree({
      // The journal's order differs from name order on purpose.
      "drizzle/meta/_journal.json": JSON.stringify({
        entries: [
          { idx: 0, tag: "0000_init" },
          { idx: 2, tag: "0001_zebra" },
          { idx: 1, tag: "0002_apple" },
        ],
      }),
      "drizzle/meta/0000_snapshot.json": "{}",
      "drizzle/0002_apple.sql": "CREATE TABLE apple (id int);",
      "drizzle/0001_zebra.sql": "CREATE TABLE zebra (id int);",
      "drizzle/0000_init.sql": init,
      "drizzle/0003_manual.sql": "CREATE TABLE manual (id int);",
    });
    const result = await discover(cwd);
    expect(result.framework).toBe("drizzle");
    expect(paths(result.targets)).toEqual([
      "drizzle/0000_init.sql",
      "drizzle/0002_apple.sql",
      "drizzle/0001_zebra.sql",
      "drizzle/0003_manual.sql",
    ]);
    expect(result.targets[0]?.text).toBe(init);
    expect(result.targets.every((t) => t.transactionModel === "per-file")).toBe(true);
  });

  it("is detected by the journal in any directory, and falls back to name order without one", async () => {
    const cwd = await tree({
      "db/out/meta/_journal.json": journal,
      "db/out/0000_init.sql": "SELECT 1;",
      "db/out/0001_zebra.sql": "SELECT 2;",
      "db/out/0002_apple.sql": "SELECT 3;",
      "plain/0010_b.sql": "SELECT 1;",
      "plain/0002_a.sql": "SELECT 1;",
    });
    const detected = await discover(cwd, { paths: ["db/out"] });
    expect(detected.framework).toBe("drizzle");
    expect(paths(detected.targets)).toEqual([
      "db/out/0000_init.sql",
      "db/out/0001_zebra.sql",
      "db/out/0002_apple.sql",
    ]);
    const forced = await discover(cwd, { paths: ["plain"], framework: "drizzle" });
    expect(paths(forced.targets)).toEqual(["plain/0002_a.sql", "plain/0010_b.sql"]);
  });
});

describe("flyway", () => {
  it("orders versions numerically part by part, puts repeatables last and skips undo files", async () => {
    const root = "src/main/resources/db/migration";
    const cwd = await tree({
      [`${root}/V10__ten.sql`]: "SELECT 10;",
      [`${root}/V2__two.sql`]: "SELECT 2;",
      [`${root}/V1__init.sql`]: "SELECT 1;",
      [`${root}/V1_1__patch.sql`]: "SELECT 11;",
      [`${root}/V1.2__patch.sql`]: "SELECT 12;",
      [`${root}/nested/V3__three.sql`]: "SELECT 3;",
      [`${root}/R__views.sql`]: "CREATE OR REPLACE VIEW v AS SELECT 1;",
      [`${root}/R__a_function.sql`]: "SELECT 'f';",
      [`${root}/U2__undo_two.sql`]: "SELECT -2;",
      [`${root}/afterMigrate.sql`]: "SELECT 'callback';",
    });
    const result = await discover(cwd);
    expect(result.framework).toBe("flyway");
    expect(paths(result.targets).map((p) => p.slice(root.length + 1))).toEqual([
      "V1__init.sql",
      "V1_1__patch.sql",
      "V1.2__patch.sql",
      "V2__two.sql",
      "nested/V3__three.sql",
      "V10__ten.sql",
      "R__a_function.sql",
      "R__views.sql",
    ]);
    expect(result.targets.every((t) => t.transactionModel === "implicit")).toBe(true);
  });

  it("honours executeInTransaction=false in a script's .conf file", async () => {
    const cwd = await tree({
      "db/V1__init.sql": "CREATE TABLE t (id int);",
      "db/V2__index.sql": "CREATE INDEX CONCURRENTLY i ON t (id);",
      "db/V2__index.sql.conf": "executeInTransaction=false\n",
    });
    const result = await discover(cwd, { paths: ["db"] });
    expect(result.framework).toBe("flyway");
    expect(result.targets.map((t) => t.transactionModel)).toEqual(["implicit", "none"]);
  });
});

describe("golang-migrate", () => {
  it("takes only .up.sql files in numeric version order", async () => {
    const cwd = await tree({
      "migrations/10_ten.up.sql": "SELECT 10;",
      "migrations/10_ten.down.sql": "SELECT -10;",
      "migrations/2_two.up.sql": "SELECT 2;",
      "migrations/2_two.down.sql": "SELECT -2;",
      "migrations/1_one.up.sql": "SELECT 1;",
      "migrations/1_one.down.sql": "SELECT -1;",
    });
    const result = await discover(cwd);
    expect(result.framework).toBe("golang-migrate");
    expect(paths(result.targets)).toEqual([
      "migrations/1_one.up.sql",
      "migrations/2_two.up.sql",
      "migrations/10_ten.up.sql",
    ]);
    expect(result.targets.every((t) => t.transactionModel === "implicit")).toBe(true);
  });
});

describe("dbmate", () => {
  const migration = [
    "-- a header comment", // 1
    "-- migrate:up", // 2
    "CREATE TABLE users (id int);", // 3
    "", // 4
    "ALTER TABLE users ADD COLUMN email text;", // 5
    "-- migrate:down", // 6
    "DROP TABLE users;", // 7
    "", // 8
  ].join("\n");

  it("keeps only the up section, with every line number intact", async () => {
    const cwd = await tree({
      "db/migrations/20240101000000_users.sql": migration,
      "db/migrations/20240102000000_index.sql":
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON users (email);\n-- migrate:down\nDROP INDEX i;\n",
      "db/schema.sql": "-- not a migration",
    });
    const result = await discover(cwd);
    expect(result.framework).toBe("dbmate");
    expect(paths(result.targets)).toEqual([
      "db/migrations/20240101000000_users.sql",
      "db/migrations/20240102000000_index.sql",
    ]);
    const [users, index] = result.targets;
    const lines = users?.text.split("\n") ?? [];
    expect(lines).toHaveLength(migration.split("\n").length);
    expect(lines).toEqual([
      "",
      "",
      "CREATE TABLE users (id int);",
      "",
      "ALTER TABLE users ADD COLUMN email text;",
      "",
      "",
      "",
    ]);
    expect(users?.text).not.toContain("DROP TABLE");
    expect(users?.transactionModel).toBe("per-file");
    expect(index?.text.split("\n")[1]).toBe("CREATE INDEX CONCURRENTLY i ON users (email);");
    expect(index?.text).not.toContain("DROP INDEX");
    expect(index?.transactionModel).toBe("none");
  });

  it("keeps the up section when the down section comes first", async () => {
    const cwd = await tree({
      "m/001_x.sql": "-- migrate:down\nDROP TABLE x;\n-- migrate:up\nCREATE TABLE x (id int);\n",
    });
    const result = await discover(cwd, { paths: ["m"] });
    expect(result.framework).toBe("dbmate");
    expect(result.targets[0]?.text).toBe("\n\n\nCREATE TABLE x (id int);\n");
  });
});

describe("node-pg-migrate", () => {
  it("blanks the Down Migration section and keeps line numbers", async () => {
    const text = [
      "-- Up Migration",
      "CREATE TABLE t (id int);",
      "CREATE INDEX t_id ON t (id);",
      "",
      "-- Down Migration",
      "DROP TABLE t;",
    ].join("\n");
    const cwd = await tree({
      "migrations/1700000000000_create-t.sql": text,
      "migrations/1700000000001_more.sql":
        "-- Up Migration\nALTER TABLE t ADD COLUMN a int;\n-- Down Migration\n",
      "migrations/1699999999999_js-migration.js": "exports.up = () => {};",
    });
    const result = await discover(cwd);
    expect(result.framework).toBe("node-pg-migrate");
    expect(paths(result.targets)).toEqual([
      "migrations/1700000000000_create-t.sql",
      "migrations/1700000000001_more.sql",
    ]);
    expect(result.targets[0]?.text).toBe("\nCREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\n\n\n");
    expect(result.targets[0]?.transactionModel).toBe("per-file");
  });
});

describe("plain sql", () => {
  it("uses a natural sort and skips down/undo files", async () => {
    const cwd = await tree({
      "sql/migrations/10_ten.sql": "SELECT 10;",
      "sql/migrations/2_two.sql": "SELECT 2;",
      "sql/migrations/1_one.sql": "SELECT 1;",
      "sql/migrations/2_two.down.sql": "SELECT -2;",
      "sql/migrations/3_three.undo.sql": "SELECT -3;",
      "sql/migrations/notes.txt": "not sql",
    });
    const result = await discover(cwd);
    expect(result.framework).toBe("sql");
    expect(paths(result.targets)).toEqual([
      "sql/migrations/1_one.sql",
      "sql/migrations/2_two.sql",
      "sql/migrations/10_ten.sql",
    ]);
    expect(result.targets.every((t) => t.transactionModel === "none")).toBe(true);
  });

  it("applies a transaction model override to every file", async () => {
    const cwd = await tree({ "m/1.sql": "SELECT 1;", "m/2.sql": "SELECT 2;" });
    const result = await discover(cwd, { paths: ["m"], transactionModel: "per-file" });
    expect(result.targets.map((t) => t.transactionModel)).toEqual(["per-file", "per-file"]);
  });

  it("decodes non-UTF-8 files without throwing", async () => {
    const bytes = new Uint8Array([...Buffer.from("SELECT '"), 0xff, 0xfe, ...Buffer.from("';\n")]);
    const cwd = await tree({ "m/1_bad.sql": bytes });
    const result = await discover(cwd, { paths: ["m"] });
    expect(result.targets[0]?.invalidUtf8At).toBe(8);
  });
});

describe("paths", () => {
  it("lints single files as given, in argument order", async () => {
    const cwd = await tree({
      "m/2_b.sql": "SELECT 2;",
      "m/1_a.sql": "SELECT 1;",
      "m/3_c.down.sql": "SELECT -3;",
    });
    const result = await discover(cwd, {
      paths: ["m/2_b.sql", "./m/1_a.sql", "m/3_c.down.sql", "m/2_b.sql"],
    });
    expect(result.framework).toBe("sql");
    expect(paths(result.targets)).toEqual(["m/2_b.sql", "m/1_a.sql", "m/3_c.down.sql"]);
  });

  it("resolves paths against cwd and displays them relative to it", async () => {
    const root = await tree({ "app/db/migrations/1_a.sql": "SELECT 1;" });
    const result = await discover(join(root, "app"), { paths: [join(root, "app/db/migrations")] });
    expect(paths(result.targets)).toEqual(["db/migrations/1_a.sql"]);
  });

  it("reports a missing path as FILE_NOT_FOUND with a hint", async () => {
    const cwd = await tree({ "m/1.sql": "SELECT 1;" });
    const error = await failure(discover(cwd, { paths: ["m", "nope/2.sql"] }));
    expect(error.code).toBe("FILE_NOT_FOUND");
    expect(error.message).toContain("nope/2.sql");
    expect(error.hint).toBeTruthy();
  });

  it("asks for a directory when none of the conventional places exists", async () => {
    const cwd = await tree({ "README.md": "hello" });
    const error = await failure(discover(cwd));
    expect(error.code).toBe("USAGE");
    expect(error.hint).toBe(
      "set migrations.paths in shipgate.yaml (e.g. [db/migrations]), or pass the directory: shipgate migrations <command> db/migrations",
    );
  });

  it("rejects an unknown framework and paths that mix frameworks", async () => {
    const cwd = await tree({
      "a/V1__init.sql": "SELECT 1;",
      "b/1_x.up.sql": "SELECT 1;",
    });
    const unknown = await failure(
      discover(cwd, { paths: ["a"], framework: "liquibase" as DiscoverOptions["framework"] }),
    );
    expect(unknown.code).toBe("USAGE");
    const mixed = await failure(discover(cwd, { paths: ["a", "b"] }));
    expect(mixed.code).toBe("USAGE");
    expect(mixed.hint).toContain("--framework");
    const forced = await discover(cwd, { paths: ["a", "b"], framework: "sql" });
    expect(paths(forced.targets)).toEqual(["a/V1__init.sql", "b/1_x.up.sql"]);
  });
});

describe("--since", () => {
  function git(cwd: string, ...args: string[]): string {
    return execFileSync("git", args, { cwd, encoding: "utf8" });
  }

  async function repo(): Promise<string> {
    const cwd = await tree({
      "db/migrations/1_users.sql": "CREATE TABLE users (id int);",
      "db/migrations/2_posts.sql": "CREATE TABLE posts (id int);",
      ".gitignore": "ignored.sql\n",
    });
    git(cwd, "init", "-q", "-b", "main");
    git(cwd, "config", "user.name", "Test");
    git(cwd, "config", "user.email", "test@example.com");
    git(cwd, "config", "commit.gpgsign", "false");
    git(cwd, "add", ".");
    git(cwd, "commit", "-q", "-m", "base");
    git(cwd, "tag", "base");
    await writeFile(join(cwd, "db/migrations/3_comments.sql"), "CREATE TABLE comments (id int);");
    git(cwd, "add", ".");
    git(cwd, "commit", "-q", "-m", "comments");
    // Uncommitted and untracked, plus an ignored file that must not count.
    await writeFile(join(cwd, "db/migrations/4_likes.sql"), "CREATE TABLE likes (id int);");
    await writeFile(join(cwd, "db/migrations/ignored.sql"), "SELECT 1;");
    return cwd;
  }

  it("targets files changed since the ref, including untracked ones; earlier files are the baseline", async () => {
    const cwd = await repo();
    const result = await discover(cwd, { paths: ["db/migrations"], since: "base" });
    expect(paths(result.targets)).toEqual(["db/migrations/3_comments.sql", "db/migrations/4_likes.sql"]);
    expect(paths(result.baseline)).toEqual(["db/migrations/1_users.sql", "db/migrations/2_posts.sql"]);
    expect(result.targets.every((t) => t.transactionModel === "none")).toBe(true);

    const sinceHead = await discover(cwd, { paths: ["db/migrations"], since: "HEAD" });
    expect(paths(sinceHead.targets)).toEqual(["db/migrations/4_likes.sql"]);
    expect(paths(sinceHead.baseline)).toEqual([
      "db/migrations/1_users.sql",
      "db/migrations/2_posts.sql",
      "db/migrations/3_comments.sql",
    ]);
  });

  it("counts an edited old file and replays the unchanged files before the last target", async () => {
    const cwd = await repo();
    await writeFile(join(cwd, "db/migrations/1_users.sql"), "CREATE TABLE users (id bigint);");
    const result = await discover(cwd, { paths: ["db/migrations"], since: "HEAD" });
    expect(paths(result.targets)).toEqual(["db/migrations/1_users.sql", "db/migrations/4_likes.sql"]);
    expect(paths(result.baseline)).toEqual(["db/migrations/2_posts.sql", "db/migrations/3_comments.sql"]);
  });

  it("returns nothing to lint when nothing changed", async () => {
    const cwd = await repo();
    git(cwd, "add", ".");
    git(cwd, "commit", "-q", "-m", "likes");
    const result = await discover(cwd, { paths: ["db/migrations"], since: "HEAD" });
    expect(result.targets).toEqual([]);
    expect(result.baseline).toEqual([]);
  });

  it("raises GIT_FAILED for an unknown ref, with a hint", async () => {
    const cwd = await repo();
    const error = await failure(discover(cwd, { paths: ["db/migrations"], since: "origin/nope" }));
    expect(error.code).toBe("GIT_FAILED");
    expect(error.message).toContain("origin/nope");
    expect(error.hint).toContain("git fetch origin nope");
  });
});

describe("--sql-from", () => {
  it("lints the command's stdout as one target", async () => {
    const cwd = await tree({});
    const result = await discover(cwd, { sqlFrom: "printf 'SELECT 1;'" });
    expect(result.framework).toBe("sql");
    expect(result.baseline).toEqual([]);
    expect(result.targets).toEqual([
      { path: "sql-from: printf 'SELECT 1;'", text: "SELECT 1;", transactionModel: "none" },
    ]);
  });

  it("runs in cwd and honours a transaction model override", async () => {
    const cwd = await tree({ "out.sql": "CREATE TABLE t (id int);" });
    const result = await discover(cwd, { sqlFrom: "cat out.sql", transactionModel: "per-file" });
    expect(result.targets[0]?.text).toBe("CREATE TABLE t (id int);");
    expect(result.targets[0]?.transactionModel).toBe("per-file");
  });

  it("raises COMMAND_FAILED with the stderr tail when the command fails", async () => {
    const cwd = await tree({});
    const error = await failure(discover(cwd, { sqlFrom: "echo 'alembic: no config' >&2; exit 3" }));
    expect(error.code).toBe("COMMAND_FAILED");
    expect(error.message).toContain("exited with code 3");
    expect(error.details).toEqual(["alembic: no config"]);
    expect(error.hint).toBeTruthy();
  });

  it("caps the captured output and explains a missing command", async () => {
    const cwd = await tree({});
    const big = await failure(runShellCommand("yes 'SELECT 1;'", { cwd, maxOutputBytes: 64 * 1024 }));
    expect(big.code).toBe("COMMAND_FAILED");
    expect(big.message).toContain("printed more than 64 KiB");
    const missing = await failure(discover(cwd, { sqlFrom: "shipgate-no-such-command-xyz --sql" }));
    expect(missing.code).toBe("COMMAND_FAILED");
    expect(missing.hint).toContain("not found");
  });

  it("takes precedence over paths (e.g. from config) and cannot be combined with --since", async () => {
    const cwd = await tree({ "m/1.sql": "SELECT 1;" });
    const result = await discover(cwd, { sqlFrom: "printf 'SELECT 2;'", paths: ["m"] });
    expect(paths(result.targets)).toEqual(["sql-from: printf 'SELECT 2;'"]);
    const error = await failure(discover(cwd, { sqlFrom: "printf 'SELECT 1;'", since: "HEAD" }));
    expect(error.code).toBe("USAGE");
  });
});

describe("an explicit framework whose layout matches nothing", () => {
  it("is a usage error naming the files found, not a lint of zero files that passes", async () => {
    const cwd = await tree({
      "db/migrations/0001_create_users.sql": "CREATE TABLE users (id int);",
      "db/migrations/0002_add_email.sql": "ALTER TABLE users ADD COLUMN email text;",
    });
    for (const framework of ["prisma", "flyway", "golang-migrate"] as const) {
      const error = await failure(discover(cwd, { paths: ["db/migrations"], framework }));
      expect(error.code).toBe("USAGE");
      expect(error.message).toMatch(
        new RegExp(`^db/migrations holds 2 \\.sql files, but none is a ${framework} migration \\(`),
      );
      expect(error.details).toEqual([
        "db/migrations/0001_create_users.sql",
        "db/migrations/0002_add_email.sql",
      ]);
      expect(error.hint).toMatch(/drop --framework/);
    }
    // Detected, the same directory lints; and an empty directory is simply empty.
    expect(paths((await discover(cwd, { paths: ["db/migrations"] })).targets)).toHaveLength(2);
    const empty = await tree({ "db/migrations/README.md": "none yet" });
    expect((await discover(empty, { paths: ["db/migrations"], framework: "prisma" })).targets).toEqual([]);
  });
});
