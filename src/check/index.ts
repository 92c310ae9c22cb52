/**
 * The checks `shipgate check` runs, in report order, and the rollback plan (`shipgate plan rollback`).
 */
import {
  compatCheck,
  envCheck,
  manualCheck,
  migrationsCheck,
  migrationsVerifyCheck,
} from "./capabilities.js";
import { dependencyCheck } from "./dependencies.js";
import { flagsCheck } from "./flags.js";
import { gitHygieneCheck } from "./git-hygiene.js";
import { hygieneCheck } from "./hygiene.js";
import { infrastructureCheck } from "./infrastructure.js";
import { pipelineCheck } from "./pipeline/index.js";
import { rollbackReadinessCheck } from "./rollback-readiness.js";
import type { Check } from "./types.js";
import { type WindowOverride, windowCheck } from "./window.js";

export interface DefaultChecksOptions {
  /** Manual items confirmed on the command line. */
  confirmed: ReadonlySet<string>;
  windowOverride?: WindowOverride;
}

export function defaultChecks(options: DefaultChecksOptions): Check[] {
  return [
    migrationsCheck,
    migrationsVerifyCheck,
    envCheck,
    compatCheck,
    hygieneCheck,
    gitHygieneCheck,
    flagsCheck,
    pipelineCheck,
    dependencyCheck,
    infrastructureCheck,
    rollbackReadinessCheck,
    windowCheck(options.windowOverride),
    manualCheck(options.confirmed),
  ];
}

export type {
  RollbackCriterion,
  RollbackFacts,
  RollbackGap,
  RollbackPlan,
} from "./rollback-plan.js";
export {
  assembleRollbackPlan,
  defaultRollbackCriteria,
  describeCriterion,
  gatherRollbackFacts,
  runPlanRollback,
} from "./rollback-plan.js";
export { rollbackReadinessItem } from "./rollback-readiness.js";
