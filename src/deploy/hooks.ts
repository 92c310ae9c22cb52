/**
 * Hooks: the project's executables in `.shipgate/hooks/` run at four points of a deploy
 * (pre-deploy, pre-traffic, post-deploy, post-rollback), each receiving one context as SHIPGATE_*
 * environment variables. A hook that exits non-zero fails its step (the deploy aborts). The
 * release's secret env is never passed to a hook unless the context explicitly carries it.
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { ShipgateError } from "../core/errors.js";
import { redactText, streamCommand } from "./artifact.js";

export const hookNames = ["pre-deploy", "pre-traffic", "post-deploy", "post-rollback"] as const;
export type HookName = (typeof hookNames)[number];

/** Where hooks live, relative to the config file's directory. */
export const defaultHooksDir = ".shipgate/hooks";

/** What a hook learns about the deploy, passed as SHIPGATE_* variables (missing ones are empty). */
export interface HookContext {
  /** SHIPGATE_ENVIRONMENT */
  environment: string;
  /** SHIPGATE_VERSION: the version being deployed (for post-rollback: the version restored). */
  version?: string | null;
  /** SHIPGATE_RELEASE_ID */
  releaseId?: string | null;
  /** SHIPGATE_PREVIOUS_VERSION: what served before (for post-rollback: the version rolled back from). */
  previousVersion?: string | null;
  /** SHIPGATE_DEPLOY_ID */
  deployId?: string | null;
  /** SHIPGATE_STRATEGY: rolling, blue-green or canary. */
  strategy?: string | null;
  /** SHIPGATE_ACTOR: who started the deploy. */
  actor?: string | null;
  /** SHIPGATE_URL: the environment's public URL. */
  url?: string | null;
  /** SHIPGATE_GIT_SHA */
  gitSha?: string | null;
  /** SHIPGATE_REASON: --reason, the commit subject, or why a rollback happened. */
  reason?: string | null;
  /**
   * Variables passed to the hook as they are, e.g. the release's env when a project opts in. Empty
   * by default: the release's secret env is never passed implicitly. Their values are redacted
   * from the hook's output lines.
   */
  env?: Record<string, string>;
}

/** Variables of shipgate's own process a hook never receives. */
const withheldVariables = ["SHIPGATE_SECRET_KEY", "SHIPGATE_LEDGER_URL", "SHIPGATE_DATABASE_URL"];

/** The SHIPGATE_* variables of a hook run (every one present, empty when unknown). */
export function hookEnvironment(name: HookName, context: HookContext): Record<string, string> {
  const v = (value: string | null | undefined) => value ?? "";
  return {
    SHIPGATE_HOOK: name,
    SHIPGATE_ENVIRONMENT: context.environment,
    SHIPGATE_VERSION: v(context.version),
    SHIPGATE_RELEASE_ID: v(context.releaseId),
    SHIPGATE_PREVIOUS_VERSION: v(context.previousVersion),
    SHIPGATE_DEPLOY_ID: v(context.deployId),
    SHIPGATE_STRATEGY: v(context.strategy),
    SHIPGATE_ACTOR: v(context.actor),
    SHIPGATE_URL: v(context.url),
    SHIPGATE_GIT_SHA: v(context.gitSha),
    SHIPGATE_REASON: v(context.reason),
  };
}

type HookFile = { path: string; runner: "exec" | "node" };

async function findHook(hooksDir: string, name: HookName): Promise<HookFile | undefined> {
  const candidates: HookFile[] = [
    { path: join(hooksDir, name), runner: "exec" },
    { path: join(hooksDir, `${name}.sh`), runner: "exec" },
    { path: join(hooksDir, `${name}.js`), runner: "node" },
    { path: join(hooksDir, `${name}.mjs`), runner: "node" },
  ];
  for (const c of candidates) {
    try {
      if ((await stat(c.path)).isFile()) return c;
    } catch {
      // Not there: try the next name.
    }
  }
  return undefined;
}

const defaultHookTimeoutMs = 10 * 60_000;

/**
 * Runs the hook `<hooksDir>/<name>` (or `<name>.sh`, or `<name>.js` / `<name>.mjs` with node) in
 * `cwd` when it exists, with shipgate's environment (minus its own secrets) plus the context's
 * SHIPGATE_* variables. Absent: `{ ran: false }`. Present but not executable: CONFIG_INVALID. A
 * non-zero exit, a timeout (default 10 minutes) or an abort: COMMAND_FAILED with the last lines.
 */
export async function runHook(options: {
  name: HookName;
  hooksDir: string;
  context: HookContext;
  cwd: string;
  onLine?: (line: string) => void;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<{ ran: boolean; exitCode?: number }> {
  const { name } = options;
  const hook = await findHook(options.hooksDir, name);
  if (!hook) return { ran: false };
  const shown = relative(options.cwd, hook.path) || hook.path;

  if (hook.runner === "exec") {
    try {
      await access(hook.path, constants.X_OK);
    } catch {
      throw new ShipgateError("CONFIG_INVALID", `the ${name} hook ${shown} is not executable`, {
        hint: `make it executable: chmod +x ${hook.path} (or remove it to skip the hook)`,
      });
    }
  }

  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(base)) {
    if (k.startsWith("SHIPGATE_") || withheldVariables.includes(k)) delete base[k];
  }
  const explicit = options.context.env ?? {};
  const env: NodeJS.ProcessEnv = { ...base, ...explicit, ...hookEnvironment(name, options.context) };
  const timeoutMs = options.timeoutMs ?? defaultHookTimeoutMs;

  const result = await streamCommand({
    ...(hook.runner === "node"
      ? { file: process.execPath, args: [hook.path] }
      : { file: hook.path, args: [] }),
    cwd: options.cwd,
    env,
    timeoutMs,
    redact: Object.values(explicit),
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });

  if (result.code === 0) return { ran: true, exitCode: 0 };
  if (result.spawnError) {
    const noShebang = result.spawnError.code === "ENOEXEC";
    throw new ShipgateError(
      "CONFIG_INVALID",
      `the ${name} hook ${shown} could not run: ${redactText(result.spawnError.message, Object.values(explicit))}`,
      {
        hint: noShebang
          ? `start it with an interpreter line such as #!/bin/sh (see ${name}.sample from \`shipgate init\`)`
          : `check the interpreter in its first line (#!) and its permissions: chmod +x ${hook.path}`,
        cause: result.spawnError,
      },
    );
  }
  const how = result.aborted
    ? "was stopped (the deploy was aborted)"
    : result.timedOut
      ? `did not finish within ${timeoutMs} ms and was stopped`
      : result.code === null
        ? `was killed by ${result.signal ?? "a signal"}`
        : `exited with code ${result.code}`;
  throw new ShipgateError("COMMAND_FAILED", `the ${name} hook ${shown} ${how}`, {
    details: result.tail,
    hint: `a failing ${name} hook stops the deploy: fix it, or run it yourself to see why (SHIPGATE_ENVIRONMENT=${options.context.environment} ${hook.path})`,
  });
}

const variablesDoc = `#   SHIPGATE_HOOK              the hook's name (pre-deploy, pre-traffic, post-deploy, post-rollback)
#   SHIPGATE_ENVIRONMENT       the environment, e.g. production
#   SHIPGATE_VERSION           the version deployed (post-rollback: the version restored)
#   SHIPGATE_PREVIOUS_VERSION  the version that served before (post-rollback: the one rolled back from)
#   SHIPGATE_RELEASE_ID        the release id in the ledger, e.g. r-3f9c0a1b2c3d4e5f
#   SHIPGATE_DEPLOY_ID         the deploy id (shipgate history <env> lists them)
#   SHIPGATE_STRATEGY          rolling, blue-green or canary
#   SHIPGATE_ACTOR             who started it, e.g. alice@laptop or the CI actor
#   SHIPGATE_URL               the environment's public URL
#   SHIPGATE_GIT_SHA           the commit the release was built from
#   SHIPGATE_REASON            --reason, the commit subject, or why shipgate rolled back
# Unknown values are empty strings. The release's own (secret) environment is NOT passed; the
# hook runs with shipgate's environment, so tokens such as SLACK_WEBHOOK_URL come from your shell
# or CI secrets. A non-zero exit fails the step: the deploy aborts (and rolls back if it started).
# Rename this file to drop ".sample" and make it executable (chmod +x) to enable it.`;

/** Commented sample scripts for every hook; `shipgate init` writes them as `<name>.sample`. */
export function hookSamples(): { name: HookName; file: string; content: string }[] {
  const samples: Record<HookName, string> = {
    "pre-deploy": `#!/bin/sh
# shipgate pre-deploy hook: runs before anything changes (before migrations and new instances).
# Exit non-zero to stop the deploy, e.g. when a release freeze is on.
#
${variablesDoc}
set -eu

echo "deploying \${SHIPGATE_VERSION} to \${SHIPGATE_ENVIRONMENT} (\${SHIPGATE_STRATEGY}) for \${SHIPGATE_ACTOR}"

# Tell the team in chat (Slack incoming webhook; SLACK_WEBHOOK_URL comes from your CI secrets):
# curl -fsS -X POST -H 'Content-Type: application/json' \\
#   --data "{\\"text\\": \\"Deploying \${SHIPGATE_VERSION} to \${SHIPGATE_ENVIRONMENT} (was \${SHIPGATE_PREVIOUS_VERSION:-nothing}) — \${SHIPGATE_ACTOR}: \${SHIPGATE_REASON}\\"}" \\
#   "$SLACK_WEBHOOK_URL"

# Refuse deploys on a freeze file:
# if [ -f .release-freeze ]; then echo "release freeze: $(cat .release-freeze)" >&2; exit 1; fi
`,
    "pre-traffic": `#!/bin/sh
# shipgate pre-traffic hook: runs when the new release is healthy and its smoke tests passed, just
# before it receives user traffic. Exit non-zero to stop the deploy (the old release keeps serving).
#
${variablesDoc}
set -eu

echo "\${SHIPGATE_VERSION} is healthy; about to receive traffic in \${SHIPGATE_ENVIRONMENT}"

# Warm a cache or run a deeper check of your own against the environment:
# curl -fsS "\${SHIPGATE_URL}/health/ready" > /dev/null
`,
    "post-deploy": `#!/bin/sh
# shipgate post-deploy hook: runs after the new release took all traffic. Keep it quick and
# reliable: like every hook, a non-zero exit fails its step.
#
${variablesDoc}
set -eu

echo "\${SHIPGATE_VERSION} is live in \${SHIPGATE_ENVIRONMENT} (\${SHIPGATE_URL})"

# Mark the release in your error tracker (Sentry CLI):
# sentry-cli releases new "\${SHIPGATE_VERSION}" && sentry-cli releases deploys "\${SHIPGATE_VERSION}" new -e "\${SHIPGATE_ENVIRONMENT}"

# Announce it in chat:
# curl -fsS -X POST -H 'Content-Type: application/json' \\
#   --data "{\\"text\\": \\"\${SHIPGATE_VERSION} is live in \${SHIPGATE_ENVIRONMENT}\\"}" "$SLACK_WEBHOOK_URL"
`,
    "post-rollback": `#!/bin/sh
# shipgate post-rollback hook: runs after traffic went back to an earlier release, whether by
# \`shipgate rollback\` or automatically after a failed step (SHIPGATE_REASON says why).
#
${variablesDoc}
set -eu

echo "rolled back \${SHIPGATE_ENVIRONMENT} from \${SHIPGATE_PREVIOUS_VERSION} to \${SHIPGATE_VERSION}: \${SHIPGATE_REASON}"

# Purge the CDN cache so users stop getting pages of the rolled-back version (Cloudflare;
# CLOUDFLARE_ZONE_ID and CLOUDFLARE_API_TOKEN come from your CI secrets):
# curl -fsS -X POST "https://api.cloudflare.com/client/v4/zones/\${CLOUDFLARE_ZONE_ID}/purge_cache" \\
#   -H "Authorization: Bearer \${CLOUDFLARE_API_TOKEN}" -H 'Content-Type: application/json' \\
#   --data '{"purge_everything":true}'

# Page whoever is on call:
# curl -fsS -X POST -H 'Content-Type: application/json' \\
#   --data "{\\"text\\": \\":rewind: \${SHIPGATE_ENVIRONMENT} rolled back to \${SHIPGATE_VERSION}: \${SHIPGATE_REASON}\\"}" "$SLACK_WEBHOOK_URL"
`,
  };
  return hookNames.map((name) => ({ name, file: `${name}.sample`, content: samples[name] }));
}
