/**
 * The command target end to end: the user's own deploy/switch/rollback/cleanup commands (here shell
 * lines appending to ops.log) run under the built CLI's plan, with readiness and smoke tests against
 * a real HTTP server standing in for the platform, and the ledger around them.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runShipgate, writeFile } from "./support/cli.js";

let server: Server;
let url: string;
let healthy = true;

beforeAll(async () => {
  server = createServer((req, res) => {
    const ok = req.url !== "/health/ready" || healthy;
    res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipgate-command-"));
  const log = (what: string) => `echo "${what}" >> ops.log`;
  writeFile(
    dir,
    "shipgate.yaml",
    `version: 1
release:
  artifact: "versions/{version}"
  start: ./run.sh
environments:
  production:
    url: ${url}
    target:
      type: command
      deploy: 'test "$SHIPGATE_VERSION" != bad && ${log("deploy $SHIPGATE_VERSION from $SHIPGATE_PREVIOUS_VERSION")}'
      switch: '${log("switch $SHIPGATE_TRAFFIC")}'
      rollback: '${log("rollback $SHIPGATE_VERSION to $SHIPGATE_PREVIOUS_VERSION")}'
      cleanup: '${log("cleanup $SHIPGATE_VERSION")}'
    strategy: blue-green
    startDeadline: 3s
    smoke:
      - { path: /version, status: 200 }
    env:
      dotenv: prod.env
    tag:
      enabled: false
`,
  );
  writeFile(dir, "prod.env", "API_TOKEN=tok-very-secret-123\n");
  for (const v of ["v1", "v2", "bad"]) writeFile(dir, `versions/${v}/run.sh`, `#!/bin/sh\necho ${v}\n`);
  return dir;
}

const ops = (dir: string) => readFileSync(join(dir, "ops.log"), "utf8").trim().split("\n");

describe("shipgate deploy with the command target", () => {
  it("runs the user's commands in plan order and records the deploys", async () => {
    const dir = project();
    try {
      const first = await runShipgate(["deploy", "production", "--version", "v1"], dir);
      expect(first.code, first.stderr + first.stdout).toBe(0);
      const second = await runShipgate(["deploy", "production", "--version", "v2"], dir);
      expect(second.code, second.stderr + second.stdout).toBe(0);
      const lines = ops(dir);
      expect(lines[0]).toBe("deploy v1 from ");
      expect(lines[1]).toMatch(/^switch r-[0-9a-f]{16}=100$/);
      expect(lines[2]).toBe("deploy v2 from v1");
      expect(lines[3]).toMatch(/^switch r-[0-9a-f]{16}=100$/);
      expect(lines[3]).not.toBe(lines[1]);

      // A deploy command that fails: blue (v1, kept warm by the blue-green deploy) is cleaned up
      // first; then traffic is confirmed on v2 and the user's rollback runs for the half-deployed
      // release.
      const bad = await runShipgate(["deploy", "production", "--version", "bad"], dir);
      expect(bad.code).toBe(3);
      expect(bad.stdout).toMatch(/the deploy command .* exited with code 1/);
      expect(ops(dir).slice(4)).toEqual(["cleanup v1", lines[3], "rollback bad to v2"]);

      const back = await runShipgate(["rollback", "production", "--to", "v1"], dir);
      expect(back.code, back.stderr + back.stdout).toBe(0);
      expect(ops(dir).slice(7)).toEqual([
        "deploy v1 from v2",
        expect.stringMatching(/^switch /),
        "cleanup v2",
      ]);

      const status = JSON.parse(
        (await runShipgate(["status", "production", "--format", "json"], dir)).stdout,
      );
      expect(status.current.version).toBe("v1");
      const history = JSON.parse(
        (await runShipgate(["history", "production", "--format", "json"], dir)).stdout,
      ) as {
        kind: string;
        version: string;
        status: string;
      }[];
      expect(history.map((h) => [h.kind, h.version, h.status])).toEqual([
        ["rollback", "v1", "succeeded"],
        ["deploy", "bad", "rolled_back"],
        ["deploy", "v2", "succeeded"],
        ["deploy", "v1", "succeeded"],
      ]);
      // The env value was sealed in the ledger, never printed or stored in clear.
      const everything = [first, second, bad, back].map((r) => r.stdout + r.stderr).join("\n");
      expect(everything).not.toContain("tok-very-secret-123");
      const ledger = readFileSync(join(dir, ".shipgate/ledger.db"));
      expect(ledger.includes(Buffer.from("tok-very-secret-123"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("rolls back when the new release never becomes ready", async () => {
    const dir = project();
    try {
      expect((await runShipgate(["deploy", "production", "--version", "v1"], dir)).code).toBe(0);
      healthy = false;
      const run = await runShipgate(["deploy", "production", "--version", "v2"], dir);
      expect(run.code).toBe(3);
      expect(run.stdout).toMatch(/\(wait-ready\) failed: release r-[0-9a-f]+ did not answer \/health\/ready/);
      expect(ops(dir).at(-1)).toBe("rollback v2 to v1");
    } finally {
      healthy = true;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
