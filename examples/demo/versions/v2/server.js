/**
 * The demo service, version v2: like v1, and every item has a `note` — the column added by
 * migrations/002_add_items_note.sql (nullable, so v1 keeps working while both versions serve; it is
 * null until someone writes one).
 * From Postgres when $DATABASE_URL is set, otherwise from memory. `node server.js` with $PORT set.
 */
import { startService } from "./service.js";

const version = "v2";
const memoryItems = [
  { id: 1, name: "apple", note: null },
  { id: 2, name: "pear", note: null },
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
      const { rows } = await pool.query("SELECT id::int AS id, name, note FROM items ORDER BY id");
      return { items: rows, source: "postgres", version };
    },
  },
  async onShutdown() {
    await pool?.end();
  },
});
