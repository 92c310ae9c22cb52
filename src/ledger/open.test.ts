import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sampleDeploy } from "./contract.js";
import { openLedger, parseLedgerUrl } from "./open.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "shipgate-ledger-open-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("openLedger", () => {
  it("opens sqlite:<file> relative to the base directory, creating it", async () => {
    const store = await openLedger("sqlite:.shipgate/ledger.db", dir);
    try {
      expect(store.kind).toBe("sqlite");
      await store.createDeploy(sampleDeploy());
    } finally {
      await store.close();
    }
    expect(existsSync(path.join(dir, ".shipgate/ledger.db"))).toBe(true);
    const again = await openLedger(`sqlite:${path.join(dir, ".shipgate/ledger.db")}`, "/elsewhere");
    try {
      expect(await again.getDeploy("d-1")).toEqual(sampleDeploy());
    } finally {
      await again.close();
    }
  });

  it("opens memory: as a fresh in-memory ledger", async () => {
    const store = await openLedger("memory:", dir);
    expect(store.kind).toBe("memory");
    expect(await store.listReleases()).toEqual([]);
    await store.close();
  });

  it("reads absolute SQLite paths and both Postgres schemes", () => {
    expect(parseLedgerUrl("sqlite:/var/lib/ledger.db", dir)).toEqual({
      kind: "sqlite",
      file: "/var/lib/ledger.db",
    });
    expect(parseLedgerUrl("sqlite:///var/lib/ledger.db", dir)).toEqual({
      kind: "sqlite",
      file: "/var/lib/ledger.db",
    });
    expect(parseLedgerUrl("sqlite:ledger.db", "/srv/app")).toEqual({
      kind: "sqlite",
      file: "/srv/app/ledger.db",
    });
    expect(parseLedgerUrl("postgres://ci@db:5432/ledger", dir)).toEqual({
      kind: "postgres",
      url: "postgres://ci@db:5432/ledger",
    });
    expect(parseLedgerUrl("postgresql://ci@db/ledger", dir).kind).toBe("postgres");
  });

  it("refuses any other form with CONFIG_INVALID naming the accepted forms, without showing a password", async () => {
    for (const url of ["mysql://root:hunter2-pw@db/ledger", "ledger.db", "sqlite:", "", "http://x"]) {
      const error = await openLedger(url, dir).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "ShipgateError", code: "CONFIG_INVALID" });
      const e = error as { message: string; hint: string };
      expect(e.hint).toContain("sqlite:<file>");
      expect(e.hint).toContain("postgres://");
      expect(e.hint).toContain("memory:");
      expect(`${e.message} ${e.hint}`).not.toContain("hunter2-pw");
    }
  });

  it("a Postgres URL that cannot be reached gives LEDGER_FAILED", async () => {
    await expect(openLedger("postgres://ci:pw-xyz-123@127.0.0.1:1/ledger", dir)).rejects.toMatchObject({
      code: "LEDGER_FAILED",
    });
  });
});
