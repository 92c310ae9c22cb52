/**
 * The explicit, sorted registry of migration rules, written by scripts/generate-rule-registry.ts.
 * A test fails when a rule file is missing here.
 */
import type { Rule } from "../rule.js";
import { banDropColumn } from "./ban-drop-column.js";
import { requireConcurrentIndexCreation } from "./require-concurrent-index-creation.js";
import { requireLockTimeout } from "./require-lock-timeout.js";

export const allRules: readonly Rule[] = [banDropColumn, requireConcurrentIndexCreation, requireLockTimeout];
