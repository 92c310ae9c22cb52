/**
 * The deploy fixture (test/fixtures/deploy-app) as a test or benchmark uses it: a fresh copy in a temp
 * directory, with the demo's shared app/service.js and its broken v3 (one file each, not second copies
 * in the fixture) and its public, preview and metrics ports moved to three free ones.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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
