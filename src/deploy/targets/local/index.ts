/**
 * The local target's client: supervised processes behind shipgate's proxy, owned by a
 * per-environment agent. The agent itself (agent.ts: the proxy, undici, the supervisor) is not
 * re-exported here, so the CLI commands that only talk to it load fast; `shipgate agent run`
 * imports agent.ts directly.
 */
export { type AgentInfo, type AgentPaths, agentPaths } from "./agent-files.js";
export { probeHttp } from "./health-probe.js";
export {
  createLocalTarget,
  type LocalTarget,
  type LocalTargetOptions,
  type StopLocalAgentOptions,
  stopLocalAgent,
} from "./local-target.js";
