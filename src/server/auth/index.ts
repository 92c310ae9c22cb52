/**
 * Auth of the team server: roles and permissions (roles.ts, the fixed contract), the auth hook
 * with login sessions and the failure limiter (registerAuth), and the helpers handlers call.
 */
export type { AuthOptions, AuthState } from "./auth-plugin.js";
export {
  csrfHeaderName,
  permissionError,
  principalOf,
  registerAuth,
  requirePermission,
  sessionCookieName,
} from "./auth-plugin.js";
export type { FailureLimiter, FailureLimiterOptions, LimiterVerdict } from "./failure-limiter.js";
export { createFailureLimiter } from "./failure-limiter.js";
export type { AccessRules, Permission, Principal, Role } from "./roles.js";
export {
  defaultMinimumRole,
  isRole,
  minimumRole,
  permissions,
  principalCovers,
  roleAllows,
  roleRank,
  roles,
} from "./roles.js";
export type { Session, SessionStore, SessionStoreOptions } from "./sessions.js";
export { createSessionStore } from "./sessions.js";
