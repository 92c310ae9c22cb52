/** Roles and permissions: the default matrix, and per-environment rules that raise but never lower. */
import { describe, expect, it } from "vitest";
import {
  type AccessRules,
  isRole,
  minimumRole,
  type Permission,
  type Principal,
  permissions,
  principalCovers,
  type Role,
  roleAllows,
  roles,
} from "./roles.js";

/** The default matrix of docs/team-server.md: which roles hold each permission. */
const matrix: Record<Permission, Role[]> = {
  public: ["viewer", "deployer", "approver", "admin"],
  read: ["viewer", "deployer", "approver", "admin"],
  deploy: ["deployer", "approver", "admin"],
  flags: ["deployer", "approver", "admin"],
  approve: ["approver", "admin"],
  admin: ["admin"],
};

describe("roleAllows", () => {
  for (const permission of permissions) {
    for (const role of roles) {
      const allowed = matrix[permission].includes(role);
      it(`${role} ${allowed ? "may" : "may not"} ${permission}`, () => {
        expect(roleAllows(role, permission)).toBe(allowed);
      });
    }
  }

  it("follows per-environment rules that raise a permission", () => {
    const rules: AccessRules = { deploy: "approver", flags: "admin" };
    expect(roleAllows("deployer", "deploy", rules)).toBe(false);
    expect(roleAllows("approver", "deploy", rules)).toBe(true);
    expect(roleAllows("approver", "flags", rules)).toBe(false);
    expect(roleAllows("admin", "flags", rules)).toBe(true);
    expect(roleAllows("deployer", "approve", rules)).toBe(false); // untouched permissions keep their default
  });

  it("never lets a rule lower a permission below its default", () => {
    const rules: AccessRules = { deploy: "viewer", flags: "viewer", approve: "deployer" };
    expect(roleAllows("viewer", "deploy", rules)).toBe(false);
    expect(roleAllows("viewer", "flags", rules)).toBe(false);
    expect(roleAllows("deployer", "approve", rules)).toBe(false);
  });
});

describe("minimumRole", () => {
  it("is the default without rules and the higher of default and rule with them", () => {
    expect(minimumRole("read")).toBe("viewer");
    expect(minimumRole("deploy")).toBe("deployer");
    expect(minimumRole("flags")).toBe("deployer");
    expect(minimumRole("approve")).toBe("approver");
    expect(minimumRole("admin")).toBe("admin");
    expect(minimumRole("deploy", { deploy: "approver" })).toBe("approver");
    expect(minimumRole("deploy", { deploy: "viewer" })).toBe("deployer");
    expect(minimumRole("approve", { approve: "admin" })).toBe("admin");
  });

  it("ignores rules for read and admin, which have none", () => {
    const rules = { read: "admin", admin: "viewer" } as unknown as AccessRules; // not expressible in config
    expect(minimumRole("read", rules)).toBe("viewer");
    expect(minimumRole("admin", rules)).toBe("admin");
  });
});

describe("isRole / principalCovers", () => {
  it("knows the four roles only", () => {
    expect(roles.every(isRole)).toBe(true);
    expect(isRole("sdk")).toBe(false);
    expect(isRole("root")).toBe(false);
  });

  it("covers every environment without a scope and one with it", () => {
    const base: Principal = {
      tokenId: "tok_1",
      name: "ci",
      role: "deployer",
      environment: null,
      via: "token",
    };
    expect(principalCovers(base, "production")).toBe(true);
    expect(principalCovers({ ...base, environment: "staging" }, "staging")).toBe(true);
    expect(principalCovers({ ...base, environment: "staging" }, "production")).toBe(false);
  });
});
