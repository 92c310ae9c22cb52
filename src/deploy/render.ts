/**
 * Text for the release commands: live step lines while a deploy runs (stderr), and the final
 * summaries of deploy, rollback, status and history (stdout). Names and versions only: a release's
 * env values never reach these functions.
 */
import { formatValue } from "../analysis/judge.js";
import type { ExecutorEvent } from "./executor.js";
import { describeNote, describeStep, type PlanStep } from "./plan.js";
import type { DeployEvent, DeployResult, HistoryEntry, RollbackResult, StatusResult } from "./service.js";

/** At most this many lines of a failed step's details (an instance's output) are printed. */
const maxDetailLines = 10;

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One line per event; `versionOf` names releases. */
export function renderEvent(event: DeployEvent, versionOf: (id: string) => string): string | null {
  const e = event as ExecutorEvent | DeployEvent;
  switch (e.type) {
    case "step-start":
      return null;
    case "step-done":
      if (e.step.type === "hook") {
        return `[${e.index + 1}/${e.total}] hook ${e.step.hook}: ${e.detail.ran ? `ran (${seconds(e.ms)})` : "none"}`;
      }
      // An analysis or watch that ended inconclusive (its interval lines say why) did not pass: not "ok".
      return `[${e.index + 1}/${e.total}] ${describeStep(e.step, versionOf)} … ${e.detail.verdict === "inconclusive" ? "inconclusive" : "ok"} (${seconds(e.ms)})`;
    case "step-failed": {
      // The failure's details (e.g. an instance's last output lines, masked) and hint (its log file).
      return [
        `[${e.index + 1}/${e.total}] ${describeStep(e.step, versionOf)} … FAILED: ${e.error}`,
        ...(e.details ?? []).slice(-maxDetailLines).map((line) => `      | ${line}`),
        ...(e.hint ? [`      ${e.hint}`] : []),
      ].join("\n");
    }
    case "paused":
      return "paused: waiting for `shipgate promote` (or `shipgate abort`)";
    case "restore-start":
      return `rolling back: ${e.reason}`;
    case "restore-done":
      return e.traffic.length === 0
        ? "traffic: none (there was no previous release)"
        : `traffic back on ${e.traffic.map((t) => `${versionOf(t.releaseId)} ${t.weight}%`).join(", ")}`;
    case "analysis": {
      const i = e.interval;
      const figures = i.metrics
        .map((m) =>
          m.verdict === "pass"
            ? `${m.metric} ${formatValue(m.metric, m.canary)}`
            : `${m.metric}: ${m.detail}`,
        )
        .join("; ");
      // The watch compares the new release with the previous one (after promotion both may still
      // serve), the canary analysis the canary with the stable release.
      const [what, subject, baseline] =
        e.run.phase === "watch" ? ["watch", "new", "previous"] : ["analysis", "canary", "baseline"];
      return `      ${what} interval ${i.index}: ${i.verdict} (${i.canaryRequests} ${subject} / ${i.baselineRequests} ${baseline} requests) ${figures}`;
    }
    case "info":
      return e.message;
    case "recovered":
      return `recovered interrupted deploy ${e.deployId}: ${e.reason}`;
    case "lock-wait":
      return `waiting for the deploy lock held by ${e.holder} …`;
  }
  return null;
}

export function renderPlan(result: DeployResult): string {
  const versions = new Map<string, string>([[result.release.id, result.release.version]]);
  if (result.previous) versions.set(result.previous.id, result.previous.version);
  const v = (id: string) => versions.get(id) ?? id;
  const notes = result.notes ?? [];
  const stopped = notes.some((n) => n.type === "current-not-running");
  const lines = [
    `Plan: ${result.strategy} deploy of ${result.release.version} (${result.release.id}) to ${result.environment}` +
      (result.previous === null
        ? ", first deploy"
        : result.previous.id === result.release.id
          ? stopped
            ? ", which is recorded as current"
            : ", which already serves"
          : `, replacing ${result.previous.version}`),
    ...notes.map((note) => `  ${describeNote(note, v)}`),
    ...result.plan.map(
      ({ index, step }) => `  ${String(index + 1).padStart(2)}. ${describeStep(step as PlanStep, v)}`,
    ),
  ];
  return `${lines.join("\n")}\n`;
}

export function renderDeployResult(result: DeployResult): string {
  if (result.outcome === "planned") return renderPlan(result);
  if (result.outcome === "unchanged") {
    return `${result.release.version} (${result.release.id}) already serves ${result.environment}: nothing to deploy.\n`;
  }
  const what = `${result.release.version} to ${result.environment}`;
  switch (result.outcome) {
    case "succeeded":
      return `Deployed ${what} (${result.strategy}, deploy ${result.deployId}).\n`;
    case "awaiting_approval":
      return `Deploy of ${what} awaits approval (deploy ${result.deployId}); nothing has changed yet.\nSomeone other than the author approves it with \`shipgate approve ${result.environment}\` (or on the dashboard); \`shipgate abort ${result.environment}\` cancels it.\n`;
    case "paused":
      return `Deploy of ${what} paused (deploy ${result.deployId}). Continue with \`shipgate promote ${result.environment}\` or stop with \`shipgate abort ${result.environment}\`.\n`;
    case "aborted":
      return `Deploy of ${what} aborted; traffic is back on the previous release.\n`;
    case "rolled_back":
      return `Deploy of ${what} FAILED and was rolled back: ${result.error}\nSee \`shipgate history ${result.environment}\`.\n`;
    case "failed":
      return `Deploy of ${what} FAILED and the previous release could not be restored: ${result.error}\nSee \`shipgate status ${result.environment}\`.\n`;
  }
}

export function renderRollbackResult(result: RollbackResult): string {
  const lines: string[] = [];
  const env = result.environment;
  const version = result.release.version;
  // `rollback --to <the current release> --schema`: only the down migrations ran.
  const schemaOnly = result.previous?.id === result.release.id;
  if (result.outcome === "planned") {
    lines.push(renderPlan(result).trimEnd());
  } else if (result.outcome === "unchanged") {
    lines.push(`${version} (${result.release.id}) already serves ${env}: nothing to roll back.`);
  } else if (result.outcome === "succeeded" && schemaOnly) {
    lines.push(`Rolled back the schema of ${env}; ${version} keeps serving.`);
  } else if (result.outcome === "succeeded") {
    lines.push(
      `Rolled back ${env} to ${version}${result.previous ? ` from ${result.previous.version}` : ""}` +
        `${result.switchMs !== null ? `: traffic switched ${seconds(result.switchMs)} after the command started` : ""}` +
        `${result.warm ? " (it was still warm)" : ""}.`,
    );
  } else if (result.outcome === "aborted") {
    lines.push(`Aborted the deploy in progress; traffic is back on ${version}.`);
  } else {
    // Traffic stayed where it was: the schema hints below would not hold.
    lines.push(`Rollback of ${env} to ${version} FAILED: ${result.error}`);
    return `${lines.join("\n")}\n`;
  }
  if (result.schemaRequested && !result.migrates) {
    // Nothing was looked for: "no schema rollback needed" would suggest a check that found nothing.
    lines.push(
      `Schema: ${env} runs no migrations (environments.${env}.databaseUrlEnv is not set), so there is no schema to roll back.`,
    );
  } else if (result.schema.needed && result.downs.length > 0) {
    lines.push(
      `Schema: ${result.outcome === "planned" ? "would run" : "ran"} the down migrations of ${result.schema.migrations.join(", ")}:`,
      ...result.downs.map((d) => `  ${d.downPath}\n${d.sql.trim().replace(/^/gm, "    ")}`),
    );
  } else if (result.schema.needed) {
    lines.push(
      `Schema: deploys here applied migrations ${version} does not ship: ${result.schema.migrations.join(", ")}.`,
      `They stay (expand-only changes are safe for the older code). To undo them with their down migrations: \`shipgate rollback ${env} --to ${version} --schema\` (add --dry-run first to see them).`,
    );
  } else if (result.outcome !== "aborted" && result.outcome !== "unchanged") {
    lines.push("Schema: no schema rollback needed.");
  }
  return `${lines.join("\n")}\n`;
}

export function renderStatus(status: StatusResult): string {
  const lines = [status.url ? `${status.environment}  ${status.url}` : status.environment];
  if (status.recovered) lines.push(`  recovered an interrupted deploy: ${status.recovered}`);
  if (!status.current) lines.push("  current: nothing deployed yet");
  else {
    const c = status.current;
    lines.push(
      `  current: ${c.version} (${c.id}${c.gitSha ? `, ${c.gitSha.slice(0, 12)}` : ""})` +
        (c.deployedAt
          ? ` deployed ${c.deployedAt.replace("T", " ").slice(0, 19)} UTC by ${c.deployedBy}`
          : ""),
    );
  }
  if (status.traffic.length > 0) {
    lines.push(`  traffic: ${status.traffic.map((t) => `${t.version} ${t.weight}%`).join(", ")}`);
  }
  if (status.inProgress) {
    const p = status.inProgress;
    if (p.approval) {
      lines.push(
        `  awaiting approval: ${p.strategy} deploy of ${p.version} (${p.id}) by ${p.actor}, ${p.approval.valid}/${p.approval.required} approvals${p.approval.approvers.length > 0 ? ` (${p.approval.approvers.join(", ")})` : ""}, expires ${p.approval.expiresAt?.replace("T", " ").slice(0, 16) ?? "never"} UTC`,
        `    approve: shipgate approve ${status.environment} (someone other than ${p.actor}); cancel: shipgate abort ${status.environment}`,
      );
    } else {
      lines.push(
        `  in progress: ${p.strategy} deploy of ${p.version} (${p.id}) ${p.status} at step ${p.step}/${p.steps}`,
      );
    }
  }
  if (status.target === null) {
    lines.push(
      `  target: none configured (add environments.${status.environment}.target to shipgate.yaml to deploy)`,
    );
  } else if (status.instances) {
    for (const i of status.instances.filter((x) => x.state !== "stopped")) {
      lines.push(
        // A command target's instances have no port or pid of shipgate's (they run elsewhere).
        `  instance ${i.id}: ${i.state}${i.port > 0 ? `, port ${i.port}` : ""}${i.pid !== null ? `, pid ${i.pid}` : ""}, restarts ${i.restarts}`,
      );
    }
  } else {
    lines.push(
      "  target: not running (shipgate down, or the agent stopped) — the next deploy or rollback starts it",
    );
  }
  if (status.undeployed) {
    lines.push(
      status.undeployed.length === 0
        ? "  HEAD is deployed"
        : `  ${status.undeployed.length} commit${status.undeployed.length === 1 ? "" : "s"} on HEAD not deployed here:`,
    );
    for (const c of status.undeployed.slice(0, 20)) lines.push(`    ${c.sha.slice(0, 12)} ${c.subject}`);
  }
  if (status.live) {
    const { thresholds } = status.live;
    lines.push(
      status.live.releases.length === 0
        ? `  live (last ${status.live.seconds} s): no traffic`
        : `  live (last ${status.live.seconds} s; alerts at error rate > ${formatValue("error-rate", thresholds.errorRate)}, p99 > ${formatValue("p99", thresholds.p99Ms)}):`,
    );
    for (const r of status.live.releases) {
      lines.push(
        `    ${r.version}: ${r.rps.toFixed(1)} req/s, error rate ${formatValue("error-rate", r.errorRate)}, p99 ${formatValue("p99", r.p99Ms)}` +
          (r.alerts.length > 0 ? `  ALERT: ${r.alerts.join("; ")}` : "  ok"),
      );
    }
  }
  if (status.analysis) {
    const a = status.analysis;
    lines.push(
      `  ${a.phase === "watch" ? "post-deploy watch" : "canary analysis"} (${a.deployId}): ${a.verdict} — ${a.summary}`,
    );
  }
  if (status.lock) {
    lines.push(
      `  lock: held by ${status.lock.holder} since ${status.lock.acquiredAt.replace("T", " ").slice(0, 19)} UTC`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function renderHistory(environment: string, entries: HistoryEntry[]): string {
  if (entries.length === 0) return `${environment}: no deploys yet.\n`;
  const lines = entries.map((e) => {
    const when = e.startedAt.replace("T", " ").slice(0, 19);
    // The same version again (e.g. started again after `shipgate down`): "from" itself says nothing.
    const from = !e.previousVersion
      ? ""
      : e.previousVersion !== e.version
        ? ` (from ${e.previousVersion})`
        : e.kind === "deploy"
          ? " (redeploy)"
          : "";
    const why = e.error ? ` — ${e.error}` : e.reason ? ` — ${e.reason}` : "";
    return `${when}  ${e.kind.padEnd(8)} ${e.version}${from}  ${e.strategy}  ${e.status}  by ${e.actor}  ${e.id}${why}`;
  });
  return `${lines.join("\n")}\n`;
}
