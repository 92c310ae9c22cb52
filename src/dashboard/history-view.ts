/**
 * An environment's history: every deploy and rollback, newest first, each expandable (a native
 * <details>, keyboard-operable) to its diff against the previous release: commits, migrations and
 * the flags changed since the previous deploy.
 */

import type { HistoryEntryWithDiff } from "../api/wire-types.js";
import { api } from "./api-client.js";
import { h, replace } from "./dom.js";
import { subNav } from "./environment-view.js";
import { formatAgo, formatTime, statusWords } from "./format.js";

function diffOf(entry: HistoryEntryWithDiff): HTMLElement {
  const { commits, migrations, flags } = entry.diff;
  return h(
    "div",
    { class: "diff" },
    h("h3", {}, "Commits"),
    commits === null
      ? h("p", {}, "Not known (no git history recorded).")
      : commits.length === 0
        ? h("p", {}, "No commits.")
        : h(
            "ul",
            {},
            commits.map((c) => h("li", {}, h("code", {}, c.sha.slice(0, 8)), ` ${c.subject}`)),
          ),
    h("h3", {}, "Migrations"),
    migrations.length === 0
      ? h("p", {}, "None.")
      : h(
          "ul",
          {},
          migrations.map((m) => h("li", {}, h("code", {}, m))),
        ),
    h("h3", {}, "Flags changed"),
    flags.length === 0
      ? h("p", {}, "None.")
      : h(
          "ul",
          {},
          flags.map((f) =>
            h(
              "li",
              {},
              h("code", {}, f.key),
              ` ${f.action}${f.environment ? ` in ${f.environment}` : ""} by ${f.actor} ${formatAgo(f.at)}`,
            ),
          ),
        ),
  );
}

export async function renderHistory(main: HTMLElement, env: string): Promise<void> {
  const { entries } = await api<{ entries: HistoryEntryWithDiff[] }>(
    "GET",
    `/api/environments/${encodeURIComponent(env)}/history?limit=20`,
  );
  const list = entries.map((entry) =>
    h(
      "li",
      {},
      h(
        "details",
        {},
        h(
          "summary",
          {},
          h("strong", {}, `${entry.kind} ${entry.version}`),
          entry.previousVersion ? ` (from ${entry.previousVersion})` : "",
          " — ",
          h("span", { class: `badge ${entry.status}` }, statusWords(entry.status)),
          ` by ${entry.actor}, `,
          h(
            "time",
            { datetime: entry.startedAt, title: formatTime(entry.startedAt) },
            formatAgo(entry.startedAt),
          ),
          ` · ${entry.diff.commits?.length ?? "?"} commits, ${entry.diff.migrations.length} migrations, ${entry.diff.flags.length} flag changes`,
        ),
        entry.reason ? h("p", {}, `Reason: ${entry.reason}`) : null,
        entry.error ? h("p", { class: "error" }, entry.error) : null,
        h(
          "p",
          { class: "muted" },
          `${entry.id} · ${entry.strategy} · finished ${formatTime(entry.finishedAt)}`,
        ),
        diffOf(entry),
      ),
    ),
  );
  replace(
    main,
    h("h1", {}, `History of ${env}`),
    subNav(env, "history"),
    entries.length === 0 ? h("p", {}, "Nothing deployed yet.") : h("ol", { class: "history" }, list),
  );
}
