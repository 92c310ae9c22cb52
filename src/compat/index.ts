/** API compatibility: `shipgate compat openapi | graphql`. The public surface of src/compat. */

export type { AcceptEntry, AcceptFile, ApplyAcceptOptions } from "./accept.js";
export { applyAccepted, normalizeOperation, parseAcceptFile } from "./accept.js";
export type { GraphqlFinding, LoadedGraphqlSchema } from "./graphql.js";
export { diffGraphql, graphqlRuleId, loadGraphqlSchema, locateCoordinate } from "./graphql.js";
export type { Locator, Position } from "./locate.js";
export { createLocator } from "./locate.js";
export type { LocatedFinding, OpenApiDiffOptions } from "./openapi/diff.js";
export { diffOpenApi, parseSunset } from "./openapi/diff.js";
export type { LoadedSpec, LoadOpenApiOptions, Loc, ReadSpecFile, SpecVersion } from "./openapi/load.js";
export { loadOpenApi, readFromDisk } from "./openapi/load.js";
export { escapeToken, fromPointer, toPointer, unescapeToken } from "./pointer.js";
export type { CompatRuleId, CompatRuleMeta, RuleScope } from "./rules.js";
export {
  compatDocsUrl,
  compatRuleDescriptions,
  compatRuleDocsUrl,
  compatRuleIds,
  compatRules,
  isGraphqlRule,
} from "./rules.js";
