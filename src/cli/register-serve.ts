/**
 * Declares `shipgate serve` (the team server over the ledger: team API, dashboard, flags API for
 * SDKs) and
 * `shipgate tokens create | list | revoke` (API tokens, shown once, stored hashed: SDK tokens for one
 * environment's flags, and role tokens for the team server and its dashboard). Both open the ledger
 * the config names ($SHIPGATE_LEDGER_URL overrides ledger.url); with `--server URL` (or
 * $SHIPGATE_SERVER) the tokens subcommands ask the team server instead (/api/tokens, an admin
 * token in $SHIPGATE_TOKEN), with the same output.
 */
import type { AddressInfo } from "node:net";
import type { Command } from "commander";
import type { LoadedConfig } from "../config/load.js";
import { ExitCode, ShipgateError } from "../core/errors.js";
import type { LedgerStore } from "../ledger/types.js";
import { prettyOrJsonOption } from "./output.js";
import type { CliIo } from "./program.js";
import { remoteFor } from "./register-deploy.js";
import type { RemoteClient } from "./remote-client.js";

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
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new ShipgateError(
      "USAGE",
      `cannot listen on ${host}:${port}: "${host}" does not resolve to an address`,
      {
        hint: "Pass an address of this machine, e.g. shipgate serve --host 127.0.0.1 (or 0.0.0.0 for every interface), or fix server.host in shipgate.yaml.",
      },
    );
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
      "Serve the team server over the ledger: the dashboard, the team API (deploys, approvals, flags, audit) and the flags API for SDKs.",
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

Open http://127.0.0.1:4900/ and log in with a role token:
  shipgate tokens create --role approver --name ada

Team API (Authorization: Bearer <role token>, or the dashboard's session; docs/team-server.md):
  GET  /api/environments, /api/environments/:env, …/history, …/live, /api/deploys/:id
  POST /api/environments/:env/deploys | promote | abort | rollback, /api/deploys/:id/approve | reject
  GET  /api/environments/:env/flags, PATCH …/flags/:key, GET /api/audit, /api/tokens (admin)

Flags API for SDKs (Authorization: Bearer <SDK token> from \`shipgate tokens create --environment <env>\`):
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
      let app: Awaited<ReturnType<typeof createServer>> | undefined;
      try {
        app = await createServer({
          ledger,
          project: {
            cwd: io.cwd,
            env: io.env,
            ...(globalOpts().config ? { configPath: globalOpts().config as string } : {}),
          },
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
      const stopped = nextStopSignal();
      const address = app.server.address() as AddressInfo;
      const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
      io.stdout.write(
        `shipgate serve: listening on http://${shownHost}:${address.port} (ledger ${await describeLedger(url, loaded.dir)})\n`,
      );
      if (loaded.path === undefined) {
        // Most likely started in the wrong directory: say so rather than serve an empty project quietly.
        io.stderr.write(
          `shipgate serve: no shipgate.yaml in ${io.cwd} or above, so no environments are declared (the team API has nothing to deploy); start it in the project's directory or pass --config <file>\n`,
        );
      }
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
    .description(
      "API tokens for `shipgate serve`, shown once and stored hashed: role tokens (viewer, deployer, approver, admin) for the team API and dashboard, SDK tokens for one environment's flags.",
    );

  /** Where token changes come from, for the audit log. */
  const cliSource = async () => `cli@${(await import("node:os")).hostname()}`;
  const shownEnvironment = (environment: string) => (environment === "*" ? "every environment" : environment);

  tokens
    .command("create")
    .description(
      "Create a role token (--role) or an SDK token for one environment; prints it once (only its hash is stored).",
    )
    .option(
      "--role <role>",
      "viewer, deployer, approver or admin: a team-server token (default: an SDK token)",
    )
    .option(
      "--environment <name>",
      "the one environment the token may act on (required for SDK tokens; role tokens without it act on every environment)",
    )
    .requiredOption("--name <name>", "who or what uses the token, e.g. ada, ci-production, checkout-web")
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate tokens create --role viewer --name ada                           log in on the dashboard
  shipgate tokens create --role deployer --name ci-staging --environment staging
  shipgate tokens create --role admin --name ops --format json
  shipgate tokens create --environment production --name checkout-web      an SDK token (flags API)
  TOKEN=$(shipgate tokens create --role deployer --name ci)                 the token alone is on stdout
  SHIPGATE_TOKEN=… shipgate --server https://shipgate.example.com tokens create --role viewer --name ada

Roles: viewer reads everything; deployer also deploys, promotes, aborts, rolls back and changes
flags; approver also approves deploys; admin also manages tokens and verifies the audit log.
environments.<env>.access in shipgate.yaml can raise the role an action needs there.

The token is shown only now: store it in a password manager or the CI's secrets. Lost tokens
cannot be recovered; revoke them with \`shipgate tokens revoke <id>\` and create a new one.
Creation is recorded in the audit log (never the token).

Exit codes: 0 created, 2 usage or config error (e.g. an environment not in shipgate.yaml).`,
    )
    .action(async (opts: { role?: string; environment?: string; name: string; format: string }) => {
      if (opts.role === undefined && opts.environment === undefined) {
        throw new ShipgateError(
          "USAGE",
          "an SDK token needs --environment, or pass --role for a team-server token",
          {
            hint: "Examples: shipgate tokens create --environment production --name checkout-web (SDK), shipgate tokens create --role viewer --name ada (team server).",
          },
        );
      }
      const [{ createApiToken, createSdkToken }, { defaultActor }, { isRole, roles }] = await Promise.all([
        import("../server/api-token.js"),
        import("../core/process-identity.js"), // the actor src/deploy/service.ts records
        import("../server/auth/roles.js"),
      ]);
      const role = opts.role;
      if (role !== undefined && !isRole(role)) {
        throw new ShipgateError("USAGE", `--role expects one of ${roles.join(", ")}, got "${role}"`, {
          hint: `Example: shipgate tokens create --role viewer --name ${opts.name}`,
        });
      }
      const client = await remoteFor(program, io);
      let created: {
        token: string;
        record: { id: string; scope: string; environment: string; name: string };
      };
      if (client) {
        created = await client.createToken(
          role === undefined
            ? { scope: "sdk", name: opts.name, environment: opts.environment ?? "" }
            : { role, name: opts.name, environment: opts.environment ?? null },
        );
      } else {
        const { loaded, ledger } = await openProjectLedger();
        try {
          const common = {
            ledger,
            name: opts.name,
            actor: defaultActor(io.env),
            source: await cliSource(),
            knownEnvironments: Object.keys(loaded.config.environments),
          };
          created =
            role === undefined
              ? await createSdkToken({ ...common, environment: opts.environment ?? "" })
              : await createApiToken({ ...common, role, environment: opts.environment ?? null });
        } finally {
          await ledger.close();
        }
      }
      const { record, token } = created;
      if (opts.format === "json") {
        const out = {
          id: record.id,
          token,
          scope: record.scope,
          environment: record.environment,
          name: record.name,
        };
        io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        io.stdout.write(`${token}\n`);
        io.stderr.write(
          record.scope === "sdk"
            ? `created SDK token ${record.id} "${record.name}" for ${record.environment}; it is shown only once: store it in the app's secrets now\n`
            : `created ${record.scope} token ${record.id} "${record.name}" for ${shownEnvironment(record.environment)}; it is shown only once: store it now (Authorization: Bearer <token>, or log in on the dashboard)\n`,
        );
      }
      setExit(ExitCode.ok);
    });

  tokens
    .command("list")
    .description(
      "List API tokens: id, name, role or scope, environment, created, revoked (never the tokens).",
    )
    .addOption(prettyOrJsonOption())
    .addHelpText(
      "after",
      `
Examples:
  shipgate tokens list
  shipgate tokens list --format json

ROLE/SCOPE is the role of a team-server token, or sdk; ENVIRONMENT "*" means every environment.`,
    )
    .action(async (opts: { format: string }) => {
      const { listApiTokens } = await import("../server/api-token.js");
      const client = await remoteFor(program, io);
      const ledger = client ? undefined : (await openProjectLedger()).ledger;
      try {
        const list = ledger ? await listApiTokens(ledger) : await (client as RemoteClient).tokens();
        if (opts.format === "json") {
          io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        } else if (list.length === 0) {
          io.stdout.write(
            "no API tokens; create one with `shipgate tokens create --role viewer --name <you>` (team server) or `shipgate tokens create --environment <env> --name <app>` (SDK)\n",
          );
        } else {
          const rows = list.map((t) => [
            t.id,
            t.name,
            t.environment,
            t.scope,
            `${t.createdAt.slice(0, 16).replace("T", " ")} by ${t.createdBy}`,
            t.revokedAt ? `revoked ${t.revokedAt.slice(0, 16).replace("T", " ")}` : "active",
          ]);
          const header = ["ID", "NAME", "ENVIRONMENT", "ROLE/SCOPE", "CREATED", "STATUS"];
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
        await ledger?.close();
      }
      setExit(ExitCode.ok);
    });

  tokens
    .command("revoke")
    .description("Revoke an API token: requests with it get 401 from now on, and its dashboard sessions end.")
    .argument("<id>", "the token id, from `shipgate tokens list`")
    .addHelpText(
      "after",
      `
Examples:
  shipgate tokens revoke tok_3f9a1c2b4d5e

The revocation is recorded in the audit log.
Exit codes: 0 revoked (or already revoked), 2 no such token.`,
    )
    .action(async (id: string) => {
      const [{ revokeApiToken }, { defaultActor }] = await Promise.all([
        import("../server/api-token.js"),
        import("../core/process-identity.js"),
      ]);
      const client = await remoteFor(program, io);
      let result: Awaited<ReturnType<typeof revokeApiToken>>;
      if (client) {
        result = await client.revokeToken(id);
      } else {
        const { ledger } = await openProjectLedger();
        try {
          result = await revokeApiToken(ledger, id, {
            actor: defaultActor(io.env),
            source: await cliSource(),
          });
        } finally {
          await ledger.close();
        }
      }
      const { token, alreadyRevoked } = result;
      const what = `${id} "${token.name}" (${token.scope}, ${shownEnvironment(token.environment)})`;
      io.stdout.write(
        alreadyRevoked
          ? `${what} was already revoked at ${token.revokedAt}\n`
          : `revoked ${what}: requests with it get 401 from now on\n`,
      );
      setExit(ExitCode.ok);
    });
}
