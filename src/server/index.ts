/**
 * The server behind `shipgate serve`: createServer (the fastify app: flags API for SDKs, team API,
 * login, dashboard) and API tokens (SDK and role tokens: generate, hash, create / list / revoke).
 */
export type { ApiErrorBody } from "./api-error.js";
export type {
  ApiTokenSummary,
  CreateApiTokenOptions,
  CreatedApiToken,
  CreatedSdkToken,
  CreateSdkTokenOptions,
  RevokeApiTokenOptions,
} from "./api-token.js";
export {
  allEnvironments,
  createApiToken,
  createSdkToken,
  generateRoleToken,
  generateSdkToken,
  hashApiToken,
  listApiTokens,
  revokeApiToken,
  roleTokenPrefix,
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
