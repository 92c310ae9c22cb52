/**
 * An environment's page: what runs there (version, traffic weights per version), the live rollout of
 * its active deploy (plan steps done / current / pending, approvals, analysis verdicts), the
 * actions (Approve, Reject, Promote, Abort, Roll back — each confirmed in a dialog, disabled with a
 * visible reason when the caller's role is too low or they are the deploy's author) and the live
 * charts. Everything refreshes every 2 s; sections are redrawn only when their data changed, so
 * keyboard focus stays where it is.
 */

import type { DeployDetail, LiveSeries, Me, StatusResult } from "../api/wire-types.js";
import { ApiError, api } from "./api-client.js";
import { confirmAction } from "./confirm-dialog.js";
import { announce, errorBox, h, idFor, replace } from "./dom.js";
import { describeActive, describeStep, formatAgo, formatTime } from "./format.js";
import { createLiveChart } from "./live-chart.js";
import { type Action, deniedReason } from "./permissions.js";

const refreshMs = 2000;
const pollMs = 1000;
const pollLimitMs = 10 * 60_000;

export function subNav(env: string, current: "overview" | "history" | "flags"): HTMLElement {
  const base = `#/env/${encodeURIComponent(env)}`;
  const link = (key: typeof current, href: string, text: string) =>
    h("a", { href, ...(key === current ? { "aria-current": "page" } : {}) }, text);
  return h(
    "nav",
    { class: "subnav", "aria-label": `${env} sections` },
    link("overview", base, "Overview"),
    link("history", `${base}/history`, "History"),
    link("flags", `${base}/flags`, "Flags"),
  );
}

function versionsOf(status: StatusResult, detail: DeployDetail | null): Map<string, string> {
  const map = new Map<string, string>();
  for (const t of status.traffic) map.set(t.releaseId, t.version);
  if (status.current) map.set(status.current.id, status.current.version);
  if (detail) {
    map.set(detail.release.id, detail.release.version);
    if (detail.previous) map.set(detail.previous.id, detail.previous.version);
  }
  return map;
}

function summarySection(status: StatusResult): HTMLElement {
  const current = status.current;
  return h(
    "section",
    { class: "panel", "aria-labelledby": "summary-heading" },
    h("h2", { id: "summary-heading" }, "Now serving"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Current version"),
      h("dd", { id: "current-version" }, current ? current.version : "nothing deployed"),
      h("dt", {}, "Deployed"),
      h(
        "dd",
        {},
        current?.deployedAt
          ? `${formatTime(current.deployedAt)} (${formatAgo(current.deployedAt)}) by ${current.deployedBy ?? "unknown"}`
          : "—",
      ),
      h("dt", {}, "URL"),
      h("dd", {}, status.url ?? "—"),
      status.target === null ? h("dt", {}, "Target") : null,
      status.target === null
        ? h(
            "dd",
            { id: "no-target" },
            `none configured (add environments.${status.environment}.target to shipgate.yaml to deploy)`,
          )
        : null,
      h("dt", {}, "Gate report"),
      h(
        "dd",
        {},
        current
          ? h(
              "a",
              { href: `#/release/${encodeURIComponent(current.id)}/gate` },
              `gate report of ${current.version}`,
            )
          : "—",
      ),
      status.analysis ? h("dt", {}, "Latest analysis") : null,
      status.analysis
        ? h(
            "dd",
            {},
            h("span", { class: `badge verdict-${status.analysis.verdict}` }, status.analysis.verdict),
            ` ${status.analysis.phase}: ${status.analysis.summary}`,
          )
        : null,
    ),
    h("h3", {}, "Traffic"),
    status.traffic.length === 0
      ? h("p", {}, "No traffic split recorded.")
      : h(
          "table",
          { class: "traffic" },
          h("caption", { class: "visually-hidden" }, "Traffic weight per version"),
          h(
            "thead",
            {},
            h("tr", {}, h("th", { scope: "col" }, "Version"), h("th", { scope: "col" }, "Weight")),
          ),
          h(
            "tbody",
            {},
            status.traffic.map((t) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, t.version),
                h(
                  "td",
                  {},
                  h("meter", { min: 0, max: 100, value: t.weight, "aria-label": `${t.version} weight` }),
                  ` ${Math.round(t.weight)}%`,
                ),
              ),
            ),
          ),
        ),
  );
}

function rolloutSection(detail: DeployDetail | null, versions: Map<string, string>): HTMLElement {
  if (!detail) {
    return h(
      "section",
      { class: "panel", "aria-labelledby": "rollout-heading" },
      h("h2", { id: "rollout-heading" }, "Rollout"),
      h("p", {}, "No deploy in progress."),
    );
  }
  const { deploy, steps, approvals, analyses } = detail;
  const journal = new Map(steps.map((s) => [s.index, s]));
  const active = ["awaiting_approval", "running", "paused"].includes(deploy.status);
  const items = deploy.plan.map((step, i) => {
    const ran = journal.get(i);
    let state: string;
    if (ran && ran.status !== "running") state = ran.status === "succeeded" ? "done" : ran.status;
    else if (i < deploy.nextStep) state = "done";
    else if (i === deploy.nextStep && active) {
      state =
        deploy.status === "awaiting_approval" ? "waiting" : deploy.status === "paused" ? "next" : "current";
    } else state = "pending";
    return h(
      "li",
      { class: `step step-${state}`, ...(state === "current" ? { "aria-current": "step" } : {}) },
      h("span", { class: "step-state" }, state),
      " ",
      describeStep(step, versions),
    );
  });
  return h(
    "section",
    { class: "panel", "aria-labelledby": "rollout-heading" },
    h("h2", { id: "rollout-heading" }, `Rollout of ${detail.release.version}`),
    h(
      "p",
      {},
      h("span", { class: `badge ${deploy.status}`, id: "deploy-status" }, describeActive(detail)),
      ` ${deploy.kind} ${deploy.id} by ${deploy.actor}, started ${formatAgo(deploy.startedAt)}`,
      detail.previous ? `, replacing ${detail.previous.version}` : "",
      deploy.reason ? ` — “${deploy.reason}”` : "",
    ),
    deploy.error ? h("p", { class: "error" }, deploy.error) : null,
    h(
      "p",
      {},
      h(
        "a",
        { href: `#/release/${encodeURIComponent(detail.release.id)}/gate` },
        `Gate report of ${detail.release.version}`,
      ),
    ),
    approvals.required > 0
      ? h(
          "div",
          {},
          h("h3", {}, `Approvals ${approvals.valid}/${approvals.required}`),
          approvals.entries.length === 0
            ? h("p", {}, "No approvals yet.")
            : h(
                "ul",
                {},
                approvals.entries.map((a) =>
                  h(
                    "li",
                    {},
                    `${a.decision} by ${a.approver} ${formatAgo(a.createdAt)}${a.comment ? `: ${a.comment}` : ""}`,
                  ),
                ),
              ),
        )
      : null,
    h("h3", {}, "Plan"),
    // Why the plan is not what the strategy alone would do (e.g. the current release is not running).
    detail.notes.length > 0
      ? h(
          "ul",
          { class: "plan-notes" },
          detail.notes.map((note) => h("li", {}, note)),
        )
      : null,
    h("ol", { class: "plan" }, items),
    analyses.length > 0 ? h("h3", {}, "Analysis") : null,
    analyses.length > 0
      ? h(
          "ul",
          { class: "analyses" },
          analyses.map((a) =>
            h(
              "li",
              {},
              h("span", { class: `badge verdict-${a.verdict}` }, a.verdict),
              ` ${a.phase} (step ${a.stepIndex + 1}): ${a.summary}`,
            ),
          ),
        )
      : null,
  );
}

interface ActionSpec {
  action: Action;
  label: string;
  title: string;
  description: string;
  confirmLabel: string;
  fieldLabel?: string;
  danger?: boolean;
  run: (text: string) => Promise<{ deployId: string }>;
}

function actionSpecs(env: string, status: StatusResult, detail: DeployDetail | null): ActionSpec[] {
  const e = encodeURIComponent(env);
  const specs: ActionSpec[] = [];
  const deploy = detail?.deploy;
  const version = detail?.release.version ?? status.inProgress?.version ?? "";
  if (deploy?.status === "awaiting_approval") {
    const d = encodeURIComponent(deploy.id);
    const remaining = Math.max(0, (detail?.approvals.required ?? 1) - (detail?.approvals.valid ?? 0));
    specs.push({
      action: "approve",
      label: "Approve",
      title: `Approve the ${deploy.kind} of ${version} to ${env}?`,
      description:
        remaining <= 1
          ? `Your approval completes the count: the ${deploy.kind} of ${version} (by ${deploy.actor}) starts at once.`
          : `Your approval counts 1 of the ${remaining} still needed for the ${deploy.kind} of ${version} (by ${deploy.actor}).`,
      confirmLabel: "Approve",
      fieldLabel: "Comment (optional)",
      run: (comment) => api("POST", `/api/deploys/${d}/approve`, comment ? { comment } : {}),
    });
    specs.push({
      action: "reject",
      label: "Reject",
      title: `Reject the ${deploy.kind} of ${version} to ${env}?`,
      description: `The ${deploy.kind} of ${version} (by ${deploy.actor}) will not run. Nothing changes on ${env}.`,
      confirmLabel: "Reject",
      fieldLabel: "Why (optional)",
      danger: true,
      run: (comment) => api("POST", `/api/deploys/${d}/reject`, comment ? { comment } : {}),
    });
  }
  if (deploy?.status === "paused") {
    specs.push({
      action: "promote",
      label: "Promote",
      title: `Promote ${version} in ${env}?`,
      description: `The rollout of ${version} continues past the pause: the next steps move more traffic to it.`,
      confirmLabel: "Promote",
      run: () => api("POST", `/api/environments/${e}/promote`, {}),
    });
  }
  if (deploy && ["awaiting_approval", "running", "paused"].includes(deploy.status)) {
    specs.push({
      action: "abort",
      label: "Abort",
      title: `Abort the ${deploy.kind} of ${version} in ${env}?`,
      description: `All traffic goes back to ${detail?.previous?.version ?? "the previous release"} and ${version}'s instances stop.`,
      confirmLabel: "Abort",
      fieldLabel: "Reason (optional)",
      danger: true,
      run: (reason) => api("POST", `/api/environments/${e}/abort`, reason ? { reason } : {}),
    });
  }
  if (!deploy && status.current) {
    specs.push({
      action: "rollback",
      label: "Roll back",
      title: `Roll ${env} back from ${status.current.version}?`,
      description: `${env} goes back to the release before ${status.current.version}, at once and without analysis.`,
      confirmLabel: "Roll back",
      fieldLabel: "Reason (optional)",
      danger: true,
      run: (reason) => api("POST", `/api/environments/${e}/rollback`, reason ? { reason } : {}),
    });
  }
  return specs;
}

/** Follows a deploy until it leaves `running`; announces every status it passes through. */
async function followDeploy(deployId: string, isStopped: () => boolean): Promise<void> {
  const deadline = Date.now() + pollLimitMs;
  let last = "";
  while (!isStopped() && Date.now() < deadline) {
    const detail = await api<DeployDetail>("GET", `/api/deploys/${encodeURIComponent(deployId)}`);
    if (detail.deploy.status !== last) {
      last = detail.deploy.status;
      announce(`${detail.deploy.kind} ${deployId} of ${detail.release.version}: ${describeActive(detail)}`);
    }
    if (detail.deploy.status !== "running") return;
    await new Promise((resolve) => window.setTimeout(resolve, pollMs));
  }
}

/** Renders the page; returns what stops its timers (called when the route changes). */
export function renderEnvironment(main: HTMLElement, env: string, me: Me): () => void {
  let stopped = false;
  let timer: number | undefined;
  const summary = h("div", {});
  const rollout = h("div", {});
  const actions = h("section", { class: "panel", "aria-labelledby": "actions-heading" });
  const feedback = h("div", {});
  const loadError = h("div", {});
  const chart = createLiveChart();
  const keys = { summary: "", rollout: "", actions: "" };
  let busy = false;

  replace(
    main,
    h("h1", {}, `Environment ${env}`),
    subNav(env, "overview"),
    loadError,
    feedback,
    actions,
    rollout,
    summary,
    chart.element,
  );

  function drawActions(status: StatusResult, detail: DeployDetail | null): void {
    const specs = actionSpecs(env, status, detail);
    const author = detail?.deploy.actor;
    const key = JSON.stringify([specs.map((s) => [s.action, s.title, s.description]), author, busy]);
    if (key === keys.actions) return;
    keys.actions = key;
    const buttons = specs.map((spec) => {
      const reason = deniedReason(me, spec.action, env, author);
      const reasonId = idFor("reason", spec.action);
      const button = h(
        "button",
        {
          type: "button",
          class: spec.danger ? "danger" : "primary",
          disabled: reason !== null || busy,
          ...(reason ? { "aria-describedby": reasonId } : {}),
          "data-action": spec.action,
        },
        spec.label,
      );
      button.addEventListener("click", () => void runAction(spec));
      return h(
        "div",
        { class: "action" },
        button,
        reason ? h("p", { class: "reason", id: reasonId }, reason) : null,
      );
    });
    replace(
      actions,
      h("h2", { id: "actions-heading" }, "Actions"),
      buttons.length === 0
        ? h("p", {}, "Nothing to do here right now.")
        : h("div", { class: "actions" }, buttons),
    );
  }

  async function runAction(spec: ActionSpec): Promise<void> {
    const text = await confirmAction({
      title: spec.title,
      description: spec.description,
      confirmLabel: spec.confirmLabel,
      ...(spec.fieldLabel ? { fieldLabel: spec.fieldLabel } : {}),
      ...(spec.danger ? { danger: true } : {}),
    });
    if (text === null) {
      announce(`${spec.label} cancelled.`);
      return;
    }
    busy = true;
    replace(feedback);
    try {
      const { deployId } = await spec.run(text);
      announce(`${spec.label}: sent for ${deployId}.`);
      await refresh();
      await followDeploy(deployId, () => stopped);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) replace(feedback, errorBox(error));
    } finally {
      busy = false;
      await refresh().catch(() => undefined);
    }
  }

  async function refresh(): Promise<void> {
    const e = encodeURIComponent(env);
    const [status, live] = await Promise.all([
      api<StatusResult>("GET", `/api/environments/${e}`),
      api<LiveSeries>("GET", `/api/environments/${e}/live?seconds=300`).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) throw error;
        return null;
      }),
    ]);
    const detail = status.inProgress
      ? await api<DeployDetail>("GET", `/api/deploys/${encodeURIComponent(status.inProgress.id)}`)
      : null;
    if (stopped) return;
    const versions = versionsOf(status, detail);
    const summaryKey = JSON.stringify([
      status.current,
      status.traffic,
      status.analysis,
      status.url,
      status.target,
    ]);
    if (summaryKey !== keys.summary) {
      keys.summary = summaryKey;
      replace(summary, summarySection(status));
    }
    const rolloutKey = JSON.stringify(detail);
    if (rolloutKey !== keys.rollout) {
      keys.rollout = rolloutKey;
      replace(rollout, rolloutSection(detail, versions));
    }
    drawActions(status, detail);
    if (live) chart.update(live);
  }

  const loop = async () => {
    try {
      await refresh();
      replace(loadError);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // the login page takes over
      replace(loadError, errorBox(error));
    }
    if (!stopped) timer = window.setTimeout(() => void loop(), refreshMs);
  };
  void loop();

  return () => {
    stopped = true;
    if (timer !== undefined) window.clearTimeout(timer);
    chart.destroy();
  };
}
