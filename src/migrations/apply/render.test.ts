import { describe, expect, it } from "vitest";
import type { ApplyResult } from "./apply.js";
import { formatBytes, renderApplyResult, renderBackups } from "./render.js";

describe("backup sizes", () => {
  it("formats bytes in binary units", () => {
    expect(formatBytes(32)).toBe("32 B");
    expect(formatBytes(1946)).toBe("1.9 KiB");
  });

  it("lists a backup's size as what it takes on disk (data, schema and manifest)", () => {
    const text = renderBackups(
      [
        {
          id: "b-1",
          createdAt: "2026-11-22T10:00:00.000Z",
          database: "postgres://app:***@db/app",
          tables: ["public.users"],
          rows: 2,
          bytes: 1946,
          migrations: ["002_drop_nickname.sql"],
        },
      ],
      ".shipgate/backups",
    );
    expect(text).toBe(
      "Backups in .shipgate/backups:\n" +
        "  b-1  2026-11-22T10:00:00.000Z  1 table, 2 rows, 1.9 KiB on disk  public.users\n" +
        "      before: 002_drop_nickname.sql\n",
    );
  });
});

describe("apply result", () => {
  const refused: ApplyResult = {
    status: "refused",
    dryRun: false,
    database: "postgres://app:***@db/app",
    serverVersion: 16,
    lock: { key: "1", waitedMs: 0 },
    settings: { lockTimeoutMs: 2000, statementTimeoutMs: 900_000, lockRetries: 3 },
    appliedBefore: 1,
    edited: [{ name: "db/001.sql", path: "db/001.sql" }],
    missingFiles: [],
    outOfOrder: [],
    plan: [],
    backupCandidates: [],
    backup: null,
    findings: [],
    outcomes: [],
  };

  it("a run refused for an edited file shows the refusal, not an empty plan", () => {
    for (const dryRun of [false, true]) {
      const text = renderApplyResult({ ...refused, dryRun });
      expect(text).toContain("error: db/001.sql was edited after it was applied");
      expect(text).not.toMatch(/pending migration|Tables to back up/);
    }
  });
});
