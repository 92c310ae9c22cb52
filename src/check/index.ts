/**
 * The checks `shipgate check` runs, in report order.
 */
import {
  compatCheck,
  envCheck,
  manualCheck,
  migrationsCheck,
  migrationsVerifyCheck,
} from "./capabilities.js";
import { dependencyCheck } from "./dependencies.js";
import { gitHygieneCheck } from "./git-hygiene.js";
import { hygieneCheck } from "./hygiene.js";
import { infrastructureCheck } from "./infrastructure.js";
import { pipelineCheck } from "./pipeline/index.js";
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
    pipelineCheck,
    dependencyCheck,
    infrastructureCheck,
    windowCheck(options.windowOverride),
    manualCheck(options.confirmed),
  ];
}
