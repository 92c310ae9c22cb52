/**
 * `shipgate init` and the project facts it rests on. Cheap to import: the env-audit parsers and the
 * migration discovery load only when runInit runs.
 */
export { type StackCommands, shipgateCommand, stackCommands } from "./commands.js";
export { describeStack, renderShipgateYaml } from "./config-file.js";
export { type DetectedMigrations, detectProject, findSpecFiles, type ProjectFacts } from "./detect.js";
export { type ExampleVariable, exampleVariables, isTestFile, renderEnvExample } from "./env-example.js";
export {
  productionWorkflowPath,
  renderProductionWorkflow,
  renderStagingWorkflow,
  stagingWorkflowPath,
} from "./github-workflows.js";
export { gitlabCiPath, renderGitlabCi } from "./gitlab-ci.js";
export {
  type CiChoice,
  ciChoices,
  type InitFile,
  type InitFileStatus,
  type InitOptions,
  type InitResult,
  runInit,
} from "./init.js";
export { findMigrationsDir } from "./migrations-dir.js";
export { detectStack, type Language, languageNames, type PackageManager, type Stack } from "./stack.js";
export { type GithubStep, githubStep, keyValue, lines, scalar, seqItem } from "./yaml-text.js";
