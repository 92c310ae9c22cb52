/** `shipgate env audit`: finding environment-variable reads in application sources. */

export type {
  AuditInput,
  AuditResult,
  DeclaredKey,
  EnvAuditRuleId,
  ExampleFile,
  SourceFile,
} from "./audit.js";
export { auditEnv, envAuditRules, findEnvReads, parseExampleFile } from "./audit.js";
export { newlyRequired } from "./diff.js";
export type { EnvRead, EnvReadVia, JsEnvReadsResult, JsParseError } from "./js-reads.js";
export { findJsEnvReads, requiresValue } from "./js-reads.js";
export type { PythonEnvReadsResult, PythonParseError } from "./python-reads.js";
export { findPythonEnvReads } from "./python-reads.js";
