/**
 * A DeployContext for unit tests of the release use cases: a parsed config, the in-memory ledger
 * and the fake target (or those of another context, to act as a second person on the same state), a
 * settable clock and no sleeping. Test support, not shipped behaviour.
 */
import type { ShipgateConfig } from "../config/schema.js";
import { createMemoryLedger } from "../ledger/index.js";
import type { ContextOptions, DeployContext } from "./service.js";
import { createFakeTarget, type FakeTarget } from "./targets/fake-target.js";

export interface FakeContextOptions {
  config: ShipgateConfig;
  environment: string;
  /** Milliseconds since the epoch, read on every now(). */
  clock?: { t: number };
  actor?: string;
  configDir?: string;
  key?: Buffer;
  onEvent?: ContextOptions["onEvent"];
  /** Share this context's ledger and target (another actor on the same environment). */
  shared?: DeployContext & { target: FakeTarget };
}

export function fakeDeployContext(options: FakeContextOptions): DeployContext & { target: FakeTarget } {
  const { config, environment } = options;
  const clock = options.clock ?? { t: 0 };
  const actor = options.actor ?? "test";
  const configDir = options.configDir ?? "/nonexistent";
  return {
    config,
    configDir,
    environment,
    envConfig: config.environments[environment] as DeployContext["envConfig"],
    ledger: options.shared?.ledger ?? createMemoryLedger(),
    target: options.shared?.target ?? createFakeTarget(),
    key: options.key ?? Buffer.alloc(32),
    actor,
    source: `cli@${actor}-laptop`,
    now: () => new Date(clock.t),
    sleep: async () => undefined,
    options: {
      cwd: configDir,
      environment,
      env: {},
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    },
    versions: new Map(),
    close: async () => undefined,
  };
}
