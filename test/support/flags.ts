/** Flag fixtures for tests. */
import type { FlagConfig } from "../../src/flags/types.js";

/** An enabled release flag at 100%, with no rules or variants, changed by `overrides`. */
export function flagConfig(key: string, overrides: Partial<FlagConfig> = {}): FlagConfig {
  return {
    key,
    type: "release",
    archived: false,
    enabled: true,
    killed: false,
    rollout: 100,
    rules: [],
    variants: [],
    stickiness: "userId",
    ...overrides,
  };
}
