/**
 * The pipeline audit: does CI run every stage the deployment checklist asks for, and are the
 * workflow files valid? `pipelineCheck` plugs it into `shipgate check`; `auditPipeline` is the same
 * audit for `shipgate pipeline audit` and for library use.
 */
import type { Check, CheckContext, CheckItem } from "../types.js";
import { auditPipeline } from "./audit.js";

export { actionlintWorkflow, staleReason } from "./actionlint.js";
export {
  auditPipeline,
  describePipeline,
  type PipelineAudit,
  type PipelineAuditOptions,
  pipelineRules,
} from "./audit.js";
export { type CiLocation, findCiFiles } from "./discover.js";
export { parseGithubWorkflow } from "./github.js";
export { parseGitlabCi } from "./gitlab.js";
export { parseJenkinsfile } from "./jenkins.js";
export type { CiCommand, CiFile, CiJob, CiSystem, Pipeline, Position } from "./model.js";
export { type Snippet, type StageId, stageSnippet } from "./snippets.js";
export { stageDefinitions } from "./stages.js";

export const pipelineCheck: Check = {
  id: "pipeline",
  async run(context: CheckContext): Promise<CheckItem[]> {
    // One pass over the CI files yields every item; the runner records the check's duration.
    const audit = await auditPipeline({
      cwd: context.cwd,
      config: context.config,
      configDir: context.configDir,
    });
    return audit.items;
  },
};
