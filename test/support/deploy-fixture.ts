/**
 * The deploy projects tests and benchmarks use, each a fresh copy in a temp directory with its public,
 * preview and metrics ports moved to three free ones: the deploy fixture (test/fixtures/deploy-app,
 * with the demo's shared app/service.js and its broken v3, one file each, not second copies in the
 * fixture), and the demo itself (examples/demo) migrating a real database.
 */
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const repoRoot = join(import.meta.dirname, "../..");

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A free port whose two successors are free too (a local target's public, preview and metrics ports). */
export async function freePortPair(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await portFree(port)) && (await portFree(port + 1)) && (await portFree(port + 2))) return port;
  }
}

/** Copies the fixture to a temp directory; `edit` may change its shipgate.yaml. */
export async function copyDeployFixture(
  edit: (yaml: string) => string = (y) => y,
): Promise<{ dir: string; port: number; url: string }> {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-deploy-"));
  cpSync(join(repoRoot, "test/fixtures/deploy-app"), dir, { recursive: true });
  mkdirSync(join(dir, "app"));
  copyFileSync(join(repoRoot, "examples/demo/app/service.js"), join(dir, "app/service.js"));
  // The demo's broken version (5xx at $FAILURE_RATE, $EXTRA_LATENCY_MS slower) for the analysis tests.
  mkdirSync(join(dir, "versions/v3-broken"));
  copyFileSync(
    join(repoRoot, "examples/demo/versions/v3-broken/server.js"),
    join(dir, "versions/v3-broken/server.js"),
  );
  const port = await freePortPair();
  const file = join(dir, "shipgate.yaml");
  writeFileSync(file, edit(readFileSync(file, "utf8").replaceAll("4880", String(port))));
  return { dir, port, url: `http://127.0.0.1:${port}` };
}

export interface DemoWithDatabase {
  dir: string;
  port: number;
  url: string;
  /** The shipgate.yaml as written; write a variant with `writeConfig`. */
  yaml: string;
  writeConfig(yaml: string): void;
}

/**
 * Copies examples/demo (without what a local `npm run demo` left: its ledger, artifacts and builds) to
 * a temp directory, set to migrate `databaseUrl` (`databaseUrlEnv: DATABASE_URL` read from local.env),
 * with `environmentYaml` (lines at 4 spaces) added to environments.local. `noWatch` drops the canary
 * analysis and the post-deploy watch, which would only wait in a run without traffic.
 */
export async function copyDemoWithDatabase(options: {
  databaseUrl: string;
  environmentYaml?: string;
  noWatch?: boolean;
}): Promise<DemoWithDatabase> {
  const demo = join(repoRoot, "examples/demo");
  const dir = mkdtempSync(join(tmpdir(), "shipgate-demo-db-"));
  cpSync(demo, dir, {
    recursive: true,
    filter: (source) => !/[/\\](\.shipgate|dist)([/\\]|$)/.test(source.slice(demo.length)),
  });
  // The app imports pg: the stored artifacts (under dir/.shipgate) resolve it from here.
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  const port = await freePortPair();
  const file = join(dir, "shipgate.yaml");
  let yaml = readFileSync(file, "utf8").replaceAll("4870", String(port));
  if (options.noWatch)
    yaml = yaml.replace(/\n {4}watch:\n(?: {6}.*\n)+/, "\n    watch:\n      duration: 0\n");
  yaml = yaml.replace(
    "# databaseUrlEnv: DATABASE_URL",
    `databaseUrlEnv: DATABASE_URL\n${options.environmentYaml ?? ""}    env:\n      dotenv: local.env`,
  );
  const writeConfig = (text: string) => writeFileSync(file, text);
  writeConfig(yaml);
  writeFileSync(join(dir, "local.env"), `DATABASE_URL=${options.databaseUrl}\n`);
  return { dir, port, url: `http://127.0.0.1:${port}`, yaml, writeConfig };
}
