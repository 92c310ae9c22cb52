/**
 * `migrations verify`: run pending migrations on a real Postgres and observe them (locks, rewrites,
 * objects, errors, downs), then merge the observations with the static lint. The public surface of
 * src/migrations/verify/.
 */
export { applyVerifyApprovals, applyVerifySettings, isVerifyRuleId } from "./approvals.js";
export { lockPremisedRules, mergeObservations, rewritePremisedRules } from "./merge.js";
export { type PredictedFacts, predictFacts } from "./predict.js";
export { type VerifyRuleId, verifyDocsUrl, verifyFinding, verifyRuleIds, verifyRuleMetas } from "./rules.js";
export { type ExecutedStatement, type SessionMode, VerifySession } from "./session.js";
export {
  dropTargets,
  executableText,
  nonTransactionalReason,
  referencedRoles,
  withoutConcurrently,
} from "./statements.js";
export {
  checkDatabaseUrl,
  maskDatabaseUrl,
  openDatabaseTarget,
  openThrowawayTarget,
  type VerifyTarget,
} from "./target.js";
export {
  type DownTrace,
  type FileTrace,
  type RelationLocks,
  renderTrace,
  type StatementError,
  type StatementTrace,
  type VerifyTrace,
} from "./trace.js";
export {
  type PendingMigration,
  type PlannedFile,
  runVerify,
  type VerifyPlan,
  type VerifyRunResult,
} from "./verify.js";
export { type VerifyFindingsInput, verifyFindings } from "./verify-findings.js";
