/**
 * What the signed-in caller may do, as the dashboard shows it (the server decides; this only
 * disables buttons with a visible reason): roles are ordered viewer < deployer < approver < admin,
 * approving needs approver and never one's own deploy, everything else that changes state needs
 * deployer, and an environment-scoped token acts only on its environment. Per-environment rules
 * (environments.<env>.access) are enforced by the server alone: a 403 shows its message.
 */
import type { Me, Role } from "../api/wire-types.js";

const order: Role[] = ["viewer", "deployer", "approver", "admin"];

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return order.indexOf(role) >= order.indexOf(minimum);
}

export type Action = "approve" | "reject" | "promote" | "abort" | "rollback" | "flags";

/** Why `me` cannot do `action` in `environment` (null: allowed as far as the dashboard knows). */
export function deniedReason(
  me: Me,
  action: Action,
  environment: string,
  deployAuthor?: string,
): string | null {
  if (me.environment !== null && me.environment !== environment) {
    return `Your token is limited to ${me.environment}.`;
  }
  const minimum: Role = action === "approve" || action === "reject" ? "approver" : "deployer";
  if (!roleAtLeast(me.role, minimum)) {
    return `Needs the ${minimum} role; you are ${me.role}.`;
  }
  if (
    (action === "approve" || action === "reject") &&
    deployAuthor !== undefined &&
    deployAuthor === me.name
  ) {
    return "You started this deploy; someone else must approve it.";
  }
  return null;
}
