/**
 * The environments page: each environment's current version, when and by whom it was deployed,
 * and the status of its active deploy ("awaiting approval 1/2", "canary paused at 25%").
 */

import type { DeployDetail, EnvironmentSummary } from "../api/wire-types.js";
import { api } from "./api-client.js";
import { h, replace } from "./dom.js";
import { describeActive, formatAgo, formatTime } from "./format.js";

export async function renderEnvironments(main: HTMLElement): Promise<void> {
  const { environments } = await api<{ environments: EnvironmentSummary[] }>("GET", "/api/environments");
  const details = await Promise.all(
    environments.map((e) =>
      e.active
        ? api<DeployDetail>("GET", `/api/deploys/${encodeURIComponent(e.active.id)}`).catch(() => null)
        : null,
    ),
  );
  const rows = environments.map((env, i) => {
    const detail = details[i];
    const active = env.active
      ? detail
        ? describeActive(detail)
        : `${env.active.kind} ${env.active.status.replaceAll("_", " ")}`
      : "idle";
    const href = `#/env/${encodeURIComponent(env.name)}`;
    return h(
      "tr",
      {},
      h("th", { scope: "row" }, h("a", { href }, env.name)),
      h("td", {}, env.current ? env.current.version : "nothing deployed"),
      h(
        "td",
        {},
        env.current?.deployedAt
          ? h(
              "time",
              { datetime: env.current.deployedAt, title: formatTime(env.current.deployedAt) },
              formatAgo(env.current.deployedAt),
            )
          : "—",
      ),
      h("td", {}, env.current?.deployedBy ?? "—"),
      h(
        "td",
        {},
        env.active
          ? h(
              "span",
              { class: `badge ${env.active.status}` },
              `${active} (${env.active.version} by ${env.active.actor})`,
            )
          : h("span", { class: "badge idle" }, active),
      ),
      h("td", {}, env.approval.required > 0 ? `${env.approval.required} required` : "none"),
    );
  });
  replace(
    main,
    h("h1", {}, "Environments"),
    environments.length === 0
      ? h("p", {}, "No environments are declared in shipgate.yaml.")
      : h(
          "table",
          { class: "environments" },
          h("caption", { class: "visually-hidden" }, "Environments and what runs there"),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["Environment", "Current version", "Deployed", "By", "Active deploy", "Approvals"].map((c) =>
                h("th", { scope: "col" }, c),
              ),
            ),
          ),
          h("tbody", {}, rows),
        ),
  );
}
