/**
 * The server behind `shipgate serve`: createServer (the fastify app), the flags API for SDKs, and
 * SDK API tokens (generate, hash, create / list / revoke through the ledger).
 */
export type { ApiErrorBody } from "./api-error.js";
export type { ApiTokenSummary, CreatedSdkToken, CreateSdkTokenOptions } from "./api-token.js";
export {
  createSdkToken,
  generateSdkToken,
  hashApiToken,
  listSdkTokens,
  revokeSdkToken,
  sdkTokenPrefix,
  summarizeApiToken,
} from "./api-token.js";
export type { ServerOptions } from "./create-server.js";
export { createServer, defaultBodyLimit } from "./create-server.js";
export type { FlagBroadcaster, FlagBroadcasterOptions } from "./flag-broadcaster.js";
export { createFlagBroadcaster, flagSetEvent } from "./flag-broadcaster.js";
export { buildFlagSet, etagMatches, flagConfigOf, flagSetEtag } from "./flag-set.js";
export { type FlagMetricsBody, flagMetricsBodySchema } from "./flags-routes.js";
export { bearerToken, checkApiToken, type TokenCheck } from "./token-auth.js";
