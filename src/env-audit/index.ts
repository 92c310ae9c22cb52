/** `shipgate env audit`: finding environment-variable reads in application sources. */

export type { EnvRead, EnvReadVia, JsEnvReadsResult, JsParseError } from "./js-reads.js";
export { findJsEnvReads } from "./js-reads.js";
