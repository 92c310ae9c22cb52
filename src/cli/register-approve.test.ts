/** `shipgate approve | reject` against a team server (a fake one here): which deploy a decision is about. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCliIn } from "../../test/support/cli.js";
import { ExitCode } from "../core/errors.js";

let server: Server;
let serverUrl: string;
/** The requests the fake server received: "METHOD /path". */
let seen: string[] = [];

const deploys: Record<string, { environment: string; status: string }> = {
  "d-prod": { environment: "production", status: "awaiting_approval" },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => {
      const id = /^\/api\/deploys\/([^/]+)/.exec(req.url ?? "")?.[1] ?? "";
      const deploy = deploys[decodeURIComponent(id)];
      res.setHeader("content-type", "application/json");
      if (!deploy) {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: { code: "NOT_FOUND", message: `there is no deploy ${id}` } }));
        return;
      }
      if (req.method === "GET") {
        res.end(
          JSON.stringify({
            deploy: { id, ...deploy },
            release: { id: "r1", version: "v2" },
            approvals: { required: 1, valid: 0, approvers: [], expiresAt: null, entries: [] },
          }),
        );
        return;
      }
      res.end(JSON.stringify({ deployId: id, status: "aborted", approvals: { required: 1, valid: 0 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
});

function run(args: string[]) {
  return runCliIn(tmpdir(), ["--server", serverUrl, ...args], {
    NO_COLOR: "1",
    SHIPGATE_TOKEN: "sg_api_test",
  });
}

describe("shipgate approve | reject --deploy <id> --server", () => {
  it.each(["approve", "reject"])(
    "%s refuses a deploy of another environment, as the local command does, and decides nothing",
    async (verb) => {
      const result = await run([verb, "staging", "--deploy", "d-prod"]);
      expect(result.code).toBe(ExitCode.usage);
      expect(result.stderr).toContain("there is no deploy d-prod in staging");
      expect(result.stderr).toContain("shipgate history staging");
      expect(seen).toEqual(["GET /api/deploys/d-prod"]);
    },
  );

  it("names the environment for an unknown deploy id, with the CLI's hint", async () => {
    const result = await run(["approve", "staging", "--deploy", "d-nope"]);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.stderr).toContain("there is no deploy d-nope in staging");
    expect(result.stderr).toContain("shipgate history staging");
    expect(seen).toEqual(["GET /api/deploys/d-nope"]);
  });

  it("decides on a deploy of the environment named", async () => {
    const result = await run(["reject", "production", "--deploy", "d-prod"]);
    expect(result.code, result.stderr).toBe(ExitCode.ok);
    expect(result.stdout).toContain("Rejected deploy d-prod in production");
    expect(seen).toEqual(["GET /api/deploys/d-prod", "POST /api/deploys/d-prod/reject"]);
  });
});
