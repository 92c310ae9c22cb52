/**
 * `shipgate agent run --config <file> --environment <env>`: the local target's long-lived agent (hidden;
 * the local target starts it detached, see src/deploy/targets/local). It serves the environment's proxy
 * and supervises its instances until it is told to shut down or receives SIGTERM/SIGINT.
 */
import type { Command } from "commander";
import type { CliIo } from "./program.js";

export function registerAgent(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const agent = program
    .command("agent", { hidden: true })
    .description("The local target's agent (started by `shipgate deploy` for local targets).");

  agent
    .command("run")
    .description("Run the local agent of an environment in the foreground.")
    .requiredOption("--environment <name>", "the environment (its target must be type: local)")
    .option(
      "--proxy-workers <n>",
      "proxy worker processes (default: $SHIPGATE_PROXY_WORKERS, else cores up to 4)",
    )
    .action(async (opts: { environment: string; proxyWorkers?: string }) => {
      const [{ loadConfig }, { ShipgateError, ExitCode }, { startAgent }] = await Promise.all([
        import("../config/load.js"),
        import("../core/errors.js"),
        import("../deploy/targets/local/agent.js"),
      ]);
      const global = program.opts<{ config?: string }>();
      const loaded = loadConfig({ cwd: io.cwd, ...(global.config ? { configPath: global.config } : {}) });
      const environment = loaded.config.environments[opts.environment];
      if (environment === undefined) {
        throw new ShipgateError(
          "USAGE",
          `environment "${opts.environment}" is not declared in ${loaded.path ?? "shipgate.yaml"}`,
          {
            hint: "Declare it under environments: in shipgate.yaml.",
          },
        );
      }
      if (environment.target?.type !== "local") {
        throw new ShipgateError("USAGE", `environment "${opts.environment}" does not use the local target`, {
          hint: `Set environments.${opts.environment}.target.type to local, or deploy it with its own target.`,
        });
      }
      if (opts.proxyWorkers !== undefined && !/^\d+$/.test(opts.proxyWorkers)) {
        throw new ShipgateError("USAGE", `--proxy-workers expects a number, got "${opts.proxyWorkers}"`);
      }
      const running = await startAgent({
        configDir: loaded.dir,
        environment: opts.environment,
        target: environment.target,
        ...(opts.proxyWorkers !== undefined ? { proxyWorkers: Number(opts.proxyWorkers) } : {}),
        log: (line) => io.stdout.write(`${new Date().toISOString()} ${line}\n`),
      });
      await running.closed;
      setExit(ExitCode.ok);
    });
}
