/**
 * Declares `shipgate serve` (the HTTP server over the ledger: the flags API for SDKs) and
 * `shipgate tokens create | list | revoke` (SDK API tokens, scoped to one environment, shown once,
 * stored hashed). Both open the ledger the config names ($SHIPGATE_LEDGER_URL overrides ledger.url).
 */
import type { AddressInfo } from "node:net";
import type { Command } from "commander";
import type { LoadedConfig } from "../config/load.js";
import { ExitCode, ShipgateError } from "../core/errors.js";
import type { LedgerStore } from "../ledger/types.js";
import { prettyOrJsonOption } from "./output.js";
import type { CliIo } from "./program.js";

/** A --port value: 0..65535. */
function parsePort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new ShipgateError("USAGE", `--port expects a port number from 0 to 65535, got "${value}"`, {
      hint: "Example: shipgate serve --port 4900 (0 picks a free port).",
    });
  }
  return port;
}

/** How the startup line names the ledger: the SQLite file, the masked Postgres URL, or memory:. */
async function describeLedger(url: string, dir: string): Promise<string> {
  const { parseLedgerUrl, maskLedgerUrl } = await import("../ledger/index.js");
  const location = parseLedgerUrl(url, dir);
  if (location.kind === "sqlite") return `sqlite:${location.file}`;
  if (location.kind === "postgres") return maskLedgerUrl(location.url);
  return "memory:";
}

function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE") {
    return new ShipgateError("USAGE", `${host}:${port} is already in use`, {
      hint: "Stop the other process, or pick another port: shipgate serve --port <n> (or server.port in shipgate.yaml).",
    });
  }
  if (code === "EACCES" || code === "EADDRNOTAVAIL") {
    return new ShipgateError("USAGE", `cannot listen on ${host}:${port} (${code})`, {
      hint: "Use an address of this machine and a port above 1023: shipgate serve --host 127.0.0.1 --port 4900.",
    });
  }
  return error;
}

/** Resolves on the first SIGTERM or SIGINT (a second one gets Node's default: exit at once). */
function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve(signal);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function registerServe(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const globalOpts = () => program.opts<{ config?: string }>();

  async function openProjectLedger(): Promise<{ loaded: LoadedConfig; ledger: LedgerStore; url: string }> {
    const [{ loadConfig }, { openLedger }] = await Promise.all([
      import("../config/load.js"),
      import("../ledger/index.js"),
    ]);
    const loaded = loadConfig({
      cwd: io.cwd,
      ...(globalOpts().config ? { configPath: globalOpts().config } : {}),
    });
    const url = io.env.SHIPGATE_LEDGER_URL || loaded.config.ledger.url; // CI sets an unset secret to ""
    const ledger = await openLedger(url, loaded.dir);
    return { loaded, ledger, url };
  }

  program
    .command("serve")
    .description(
      "Serve the flags API for SDKs (flag set with ETag, server-sent events, metrics) over the ledger.",
    )
    .option("--host <address>", "address to listen on (default: server.host, 127.0.0.1)")
    .option("--port <port>", "port to listen on, 0 for any free one (default: server.port, 4900)")
    .addHelpText(
      "after",
      `
Examples:
  shipgate serve                                     127.0.0.1:4900, the ledger of shipgate.yaml
  shipgate serve --host 0.0.0.0 --port 8080          behind a TLS-terminating proxy
  SHIPGATE_LEDGER_URL=postgres://… shipgate serve    a shared Postgres ledger

Routes (Authorization: Bearer <SDK token> from \`shipgate tokens create\`):
  GET  /api/flags           the token's environment's flags; ETag, 304 on If-None-Match
  GET  /api/flags/stream    server-sent events: the flag set on connect and after every change
  POST /api/flags/metrics   evaluation counts from SDKs
  GET  /health              {"status":"ok"}, no token

Changes made with \`shipgate flags\` (same ledger) reach streams within about 200 ms.
SIGTERM or Ctrl-C stops the server and closes the ledger (exit 0).

Exit codes: 0 stopped by a signal, 2 usage or config error (e.g. the port is in use).`,
    )
    .action(async (opts: { host?: string; port?: string }) => {
      const { createServer } = await import("../server/index.js");
      const port = opts.port === undefined ? undefined : parsePort(opts.port);
      const { loaded, ledger, url } = await openProjectLedger();
      const host = opts.host ?? loaded.config.server.host;
      const listenPort = port ?? loaded.config.server.port;
      const stopped = nextStopSignal();
      let app: Awaited<ReturnType<typeof createServer>> | undefined;
      try {
        app = await createServer({
          ledger,
          onError: (message, error) =>
            io.stderr.write(`${new Date().toISOString()} shipgate serve: ${message}: ${errorText(error)}\n`),
        });
        await app.listen({ host, port: listenPort }).catch((error: unknown) => {
          throw listenError(error, host, listenPort);
        });
      } catch (error) {
        await app?.close();
        await ledger.close();
        throw error;
      }
      const address = app.server.address() as AddressInfo;
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      io.stdout.write(
        `shipgate serve: listening on http://${shownHost}:${address.port} (ledger ${await describeLedger(url, loaded.dir)})\n`,
      );
      const signal = await stopped;
      io.stderr.write(`shipgate serve: ${signal}, stopping\n`);
      try {
        await app.close();
      } finally {
        await ledger.close();
      }
      setExit(ExitCode.ok);
    });

  const tokens = program
    .command("tokens")
    .description("SDK API tokens for `shipgate serve`: read-only, one environment each, shown once.");

  tokens
    .command("create")
    .description("Create an SDK token for one environment; prints it once (only its hash is stored).")
    .requiredOption("--environment <name>", "the environment whose flags the token may read")
    .requiredOption("--name <name>", "what uses the token, e.g. checkout-web")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate tokens create --environment production --name checkout-web
  TOKEN=$(shipgate tokens create --environment staging --name ci)    the token alone is on stdout
  shipgate tokens create --environment staging --name web --format json

The token is shown only now: store it in the app's secrets. Lost tokens cannot be recovered;
revoke them with \`shipgate tokens revoke <id>\` and create a new one.

Exit codes: 0 created, 2 usage or config error (e.g. an environment not in shipgate.yaml).`,
    )
    .action(async (opts: { environment: string; name: string; format: string }) => {
      const [{ createSdkToken }, { defaultActor }] = await Promise.all([
        import("../server/index.js"),
        import("../core/process-identity.js"), // the actor src/deploy/service.ts records
      ]);
      const { loaded, ledger } = await openProjectLedger();
      try {
        const { record, token } = await createSdkToken({
          ledger,
          environment: opts.environment,
          name: opts.name,
          actor: defaultActor(io.env),
          knownEnvironments: Object.keys(loaded.config.environments),
        });
        if (opts.format === "json") {
          const out = { id: record.id, token, environment: record.environment, name: record.name };
          io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        } else {
          io.stdout.write(`${token}\n`);
          io.stderr.write(
            `created SDK token ${record.id} "${record.name}" for ${record.environment}; it is shown only once: store it in the app's secrets now\n`,
          );
        }
      } finally {
        await ledger.close();
      }
      setExit(ExitCode.ok);
    });

  tokens
    .command("list")
    .description("List API tokens: id, name, environment, created, revoked (never the tokens).")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate tokens list
  shipgate tokens list --format json`,
    )
    .action(async (opts: { format: string }) => {
      const { listSdkTokens } = await import("../server/index.js");
      const { ledger } = await openProjectLedger();
      try {
        const list = await listSdkTokens(ledger);
        if (opts.format === "json") {
          io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        } else if (list.length === 0) {
          io.stdout.write(
            "no API tokens; create one with `shipgate tokens create --environment <env> --name <app>`\n",
          );
        } else {
          const rows = list.map((t) => [
            t.id,
            t.name,
            t.environment,
            `${t.createdAt.slice(0, 16).replace("T", " ")} by ${t.createdBy}`,
            t.revokedAt ? `revoked ${t.revokedAt.slice(0, 16).replace("T", " ")}` : "active",
          ]);
          const header = ["ID", "NAME", "ENVIRONMENT", "CREATED", "STATUS"];
          const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
          for (const row of [header, ...rows]) {
            io.stdout.write(
              `${row
                .map((c, i) => c.padEnd(widths[i] ?? 0))
                .join("  ")
                .trimEnd()}\n`,
            );
          }
        }
      } finally {
        await ledger.close();
      }
      setExit(ExitCode.ok);
    });

  tokens
    .command("revoke")
    .description("Revoke an API token: requests with it get 401 from now on.")
    .argument("<id>", "the token id, from `shipgate tokens list`")
    .addHelpText(
      "after",
      `
Examples:
  shipgate tokens revoke tok_3f9a1c2b4d5e`,
    )
    .action(async (id: string) => {
      const { revokeSdkToken } = await import("../server/index.js");
      const { ledger } = await openProjectLedger();
      let result: Awaited<ReturnType<typeof revokeSdkToken>>;
      try {
        result = await revokeSdkToken(ledger, id);
      } finally {
        await ledger.close();
      }
      const { token, alreadyRevoked } = result;
      io.stdout.write(
        alreadyRevoked
          ? `${id} "${token.name}" (${token.environment}) was already revoked at ${token.revokedAt}\n`
          : `revoked ${id} "${token.name}" (${token.environment}): requests with it get 401 from now on\n`,
      );
      setExit(ExitCode.ok);
    });
}
