import { describe, expect, it } from "vitest";
import { createRouteGrouper, maxAutomaticGroups } from "./route-groups.js";

describe("route groups", () => {
  it("uses the first configured prefix that matches, else other", () => {
    const group = createRouteGrouper([
      { name: "api-v2", prefix: "/api/v2/" },
      { name: "api", prefix: "/api/" },
    ]);
    expect(group("/api/v2/items?x=1")).toBe("api-v2");
    expect(group("/api/users")).toBe("api");
    expect(group("/health")).toBe("other");
  });

  it("groups by the first path segment by default, ids and overflow as other", () => {
    const group = createRouteGrouper();
    expect(group("/")).toBe("/");
    expect(group("/?q=1")).toBe("/");
    expect(group("/items")).toBe("/items");
    expect(group("/items/42")).toBe("/items");
    expect(group("/items?page=2")).toBe("/items");
    expect(group("/42")).toBe("other");
    expect(group("/3f2a9c1e-1234-4abc-9def-0123456789ab")).toBe("other");
    for (let i = 0; i < maxAutomaticGroups + 5; i++) group(`/g${i}`);
    expect(group("/brand-new")).toBe("other");
    expect(group("/items/7")).toBe("/items");
  });
});
