/**
 * The demo service, version v1: a list of items, from Postgres when $DATABASE_URL is set (the items
 * table of migrations/001), otherwise from memory. `node server.js` with $PORT set.
 */
import { startService } from "./service.js";

const version = "v1";
const memoryItems = [
  { id: 1, name: "apple" },
  { id: 2, name: "pear" },
];

let pool;
if (process.env.DATABASE_URL) {
  // pg is the only dependency; it resolves from the node_modules of a directory above the artifact.
  const { default: pg } = await import("pg");
  pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
}

startService({
  version,
  async init() {
    if (pool) await pool.query("SELECT 1");
  },
  routes: {
    async "GET /items"() {
      if (!pool) return { items: memoryItems, source: "memory", version };
      const { rows } = await pool.query("SELECT id::int AS id, name FROM items ORDER BY id");
      return { items: rows, source: "postgres", version };
    },
  },
  async onShutdown() {
    await pool?.end();
  },
});
