/**
 * Who may do what on the team server: four ordered roles, the permissions each route declares,
 * and per-environment rules that raise the role an action needs there. Pure data and functions;
 * the auth hook (auth-plugin.ts) applies them to every request.
 *
 * - viewer:   read everything (environments, deploys, history, flags, audit, gate reports);
 * - deployer: + deploy, promote, abort, roll back; toggle flags and move rollouts;
 * - approver: + approve or reject someone else's deploy;
 * - admin:    + API tokens, create/archive flags, verify the audit chain.
 */

import type { Role } from "../../api/wire-types.js";

export type { Role };
/** Every role, lowest first (a role the wire type lacks, or one missing here, fails to compile). */
export const roles = ["viewer", "deployer", "approver", "admin"] as const satisfies readonly Role[];

/** What a route needs. `public`: no credentials (health, login, the dashboard's static files). */
export const permissions = ["public", "read", "deploy", "flags", "approve", "admin"] as const;
export type Permission = (typeof permissions)[number];

/** The lowest role holding each permission (public needs none). */
export const defaultMinimumRole: Record<Exclude<Permission, "public">, Role> = {
  read: "viewer",
  deploy: "deployer",
  flags: "deployer",
  approve: "approver",
  admin: "admin",
};

/** Per-environment rules (environments.<env>.access): a higher minimum role for an action there. */
export interface AccessRules {
  deploy?: Role | undefined;
  flags?: Role | undefined;
  approve?: Role | undefined;
}

export function roleRank(role: Role): number {
  return roles.indexOf(role);
}

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

/** The role a permission needs in an environment: the default, raised (never lowered) by its rules. */
export function minimumRole(permission: Exclude<Permission, "public">, rules?: AccessRules): Role {
  const base = defaultMinimumRole[permission];
  const ruled = permission === "read" || permission === "admin" ? undefined : rules?.[permission];
  return ruled !== undefined && roleRank(ruled) > roleRank(base) ? ruled : base;
}

/** Whether `role` may act with `permission` under `rules`. */
export function roleAllows(role: Role, permission: Permission, rules?: AccessRules): boolean {
  if (permission === "public") return true;
  return roleRank(role) >= roleRank(minimumRole(permission, rules));
}

/** An authenticated caller of the team API. */
export interface Principal {
  /** The token's id (sessions carry the token they were opened with). */
  tokenId: string;
  /** Who: the token's name, recorded as the actor of everything it does (e.g. "ada", "ci-production"). */
  name: string;
  role: Role;
  /** The one environment the token may act on, or null for every environment. */
  environment: string | null;
  /** How the request authenticated. */
  via: "token" | "session";
}

/** Whether the principal's token scope covers `environment`. */
export function principalCovers(principal: Principal, environment: string): boolean {
  return principal.environment === null || principal.environment === environment;
}
