/**
 * How the dashboard words things: times, durations, rates, the one-line status of an active
 * deploy ("awaiting approval 1/2", "canary paused at 25%") and plan steps (as src/deploy/plan.ts
 * `describeStep` words them for the CLI).
 */
import type { DeployDetail, PlanStep } from "../api/wire-types.js";

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "";
  const ms = now - new Date(iso).getTime();
  if (Number.isNaN(ms)) return "";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined) return "no data";
  return `${(ratio * 100).toFixed(ratio < 0.01 ? 2 : 1)}%`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "no data";
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export function statusWords(status: string): string {
  return status.replaceAll("_", " ");
}

/** The weight the new release has after the last set-traffic step before `nextStep`. */
export function currentWeight(plan: PlanStep[], nextStep: number, releaseId: string): number | null {
  let weight: number | null = null;
  for (const step of plan.slice(0, nextStep)) {
    if (step.type !== "set-traffic" || !step.traffic) continue;
    weight = step.traffic.find((t) => t.releaseId === releaseId)?.weight ?? 0;
  }
  return weight;
}

/** "awaiting approval 1/2", "canary paused at 25%", "rolling running, step 3/9". */
export function describeActive(detail: DeployDetail): string {
  const { deploy, approvals } = detail;
  if (deploy.status === "awaiting_approval") {
    return `awaiting approval ${approvals.valid}/${approvals.required}`;
  }
  const kind = deploy.kind === "rollback" ? "rollback" : deploy.strategy;
  if (deploy.status === "paused") {
    const weight = currentWeight(deploy.plan, deploy.nextStep, deploy.releaseId);
    return weight === null ? `${kind} paused` : `${kind} paused at ${Math.round(weight)}%`;
  }
  if (deploy.status === "running") {
    return `${kind} running, step ${Math.min(deploy.nextStep + 1, deploy.plan.length)}/${deploy.plan.length}`;
  }
  return `${kind} ${statusWords(deploy.status)}`;
}

/** A plan step in words. */
export function describeStep(step: PlanStep, versions: Map<string, string>): string {
  const v = (id: string | null | undefined) => (id ? (versions.get(id) ?? id) : "none");
  switch (step.type) {
    case "hook":
      return `run the ${step.hook ?? ""} hook`;
    case "start-instances":
      return `start ${step.count ?? ""} instance(s) of ${v(step.releaseId)}`;
    case "stop-instances":
      return `stop ${step.count ?? "all"} instance(s) of ${v(step.releaseId)}`;
    case "wait-ready":
      // warm: a blue-green deploy back to the release kept warm checks its running instances again.
      return step.warm
        ? `check that every running instance of ${v(step.releaseId)} is ready`
        : `wait until ${v(step.releaseId)} is ready`;
    case "set-preview":
      return step.releaseId ? `preview ${v(step.releaseId)}` : "clear the preview";
    case "smoke":
      return `smoke-test ${v(step.releaseId)} via ${step.via ?? "public"}`;
    case "set-traffic":
      return `traffic: ${(step.traffic ?? []).map((t) => `${v(t.releaseId)} ${Math.round(t.weight)}%`).join(", ")}`;
    case "pause":
      return step.durationMs ? `pause ${Math.round(step.durationMs / 1000)} s` : "pause until promoted";
    case "analyze":
      return `analyse the canary for ${Math.round((step.durationMs ?? 0) / 1000)} s`;
    case "watch":
      return `watch ${v(step.releaseId)} for ${Math.round((step.durationMs ?? 0) / 1000)} s`;
    case "mark-current":
      return `mark ${v(step.releaseId)} current`;
    default:
      return step.type.replaceAll("-", " ");
  }
}
