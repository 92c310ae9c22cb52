/**
 * The header shipgate's smoke tests send (deploy/smoke.ts) so the proxy can tell them from users'
 * requests: on the preview port they are served but not counted in the release's traffic metrics,
 * the figures the canary analysis, the watch and `shipgate status` read. The public port ignores it
 * (any client can send a header). It is forwarded to the application, which may use it too.
 */

/** The request header (lower case, as node's raw header names are compared) marking a smoke test. */
export const smokeRequestHeader = "x-shipgate-smoke";
