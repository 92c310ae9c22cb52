/**
 * Connections for `migrations apply | restore | status`: one place that opens them (with an
 * application_name other sessions can see in pg_stat_activity), masks the URL's password in
 * everything shown, and turns Postgres errors into readable lines.
 */
import pg from "pg";
import { ShipgateError } from "../../core/errors.js";
import { maskUrlPasswords } from "../../env/mask.js";

/**
 * The URL as it may be shown: postgres://user:***@host/db. A URL is masked by its parsed password (a
 * password with a space or another character the text pattern stops at is still hidden); any other
 * text (a --command line) has the passwords of the URLs in it masked.
 */
export function maskDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return maskUrlPasswords(u.toString()).replace(/%2A%2A%2A/g, "***");
  } catch {
    return maskUrlPasswords(url);
  }
}

/** Removes the URL's password (and any masked form of the URL) from text that may quote it. */
export function scrubSecrets(text: string, url: string | undefined): string {
  let out = maskUrlPasswords(text);
  if (url) {
    try {
      const password = decodeURIComponent(new URL(url).password);
      if (password.length >= 4) out = out.split(password).join("***");
    } catch {
      // not a URL: nothing more to scrub
    }
  }
  return out;
}

/** The URL from --database-url, else SHIPGATE_DATABASE_URL; USAGE error naming both when neither is set. */
export function resolveDatabaseUrl(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  command: string,
): string {
  const url = flag ?? env.SHIPGATE_DATABASE_URL;
  if (url === undefined || url.trim() === "") {
    throw new ShipgateError("USAGE", `${command} needs a database`, {
      hint: `Pass --database-url postgres://user@host/db or set SHIPGATE_DATABASE_URL (keep the password in the environment, not on the command line).`,
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ShipgateError("USAGE", `the database URL is not a valid URL: ${maskDatabaseUrl(url)}`, {
      hint: "Use the form postgres://user:password@host:5432/database (percent-encode special characters in the password).",
    });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new ShipgateError(
      "USAGE",
      `the database URL must start with postgres:// (got ${parsed.protocol}//)`,
      {
        hint: "Use the form postgres://user:password@host:5432/database.",
      },
    );
  }
  return url;
}

export interface PgErrorInfo {
  /** SQLSTATE, e.g. 55P03. */
  code: string | undefined;
  message: string;
  detail: string | undefined;
  hint: string | undefined;
  /** 1-based character position in the query, when Postgres reported one. */
  position: number | undefined;
}

export function pgErrorInfo(error: unknown): PgErrorInfo {
  const e = error as {
    code?: unknown;
    message?: unknown;
    detail?: unknown;
    hint?: unknown;
    position?: unknown;
  };
  return {
    code: typeof e.code === "string" ? e.code : undefined,
    message: typeof e.message === "string" ? e.message : String(error),
    detail: typeof e.detail === "string" ? e.detail : undefined,
    hint: typeof e.hint === "string" ? e.hint : undefined,
    position: typeof e.position === "string" ? Number(e.position) : undefined,
  };
}

export interface ConnectOptions {
  /** Shown in pg_stat_activity, e.g. "shipgate migrations apply". */
  applicationName: string;
  connectTimeoutMs?: number;
}

/** Opens a connection; DATABASE_FAILED (with the URL masked) when it cannot. */
export async function connectDatabase(url: string, options: ConnectOptions): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 15_000,
  });
  // An idle client whose server goes away emits "error"; without a listener that crashes the process.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    const info = pgErrorInfo(error);
    throw new ShipgateError(
      "DATABASE_FAILED",
      `cannot connect to ${maskDatabaseUrl(url)}: ${scrubSecrets(info.message, url)}`,
      {
        cause: error,
        hint: "Check the host, port, database name and credentials in --database-url / SHIPGATE_DATABASE_URL, and that this machine may reach the server.",
      },
    );
  }
  return client;
}

/** Ends a connection, ignoring errors (it may already be gone). */
export async function closeQuietly(client: pg.Client | undefined): Promise<void> {
  await client?.end().catch(() => {});
}

/** The server's major version, e.g. 16. */
export async function serverMajorVersion(client: pg.ClientBase): Promise<number> {
  const r = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Math.floor(Number(r.rows[0]?.v ?? "150000") / 10000);
}
