/**
 * An environment's flags: one row per flag with its owner and removal date, an on/off switch
 * (a labelled checkbox) and a rollout slider (input type=range 0..100 that shows its value and
 * commits on change) through PATCH /api/environments/:env/flags/:key. Disabled for viewers.
 */

import type { FlagListEntry, FlagState, Me } from "../api/wire-types.js";
import { ApiError, api } from "./api-client.js";
import { announce, errorBox, h, idFor, replace } from "./dom.js";
import { subNav } from "./environment-view.js";
import { deniedReason } from "./permissions.js";

function stateIn(entry: FlagListEntry, env: string): FlagState | null {
  return entry.states.find((s) => s.environment === env)?.state ?? null;
}

export async function renderFlags(main: HTMLElement, env: string, me: Me): Promise<void> {
  const e = encodeURIComponent(env);
  const { flags } = await api<{ flags: FlagListEntry[] }>("GET", `/api/environments/${e}/flags`);
  const reason = deniedReason(me, "flags", env);
  const feedback = h("div", {});

  async function patch(
    key: string,
    body: { enabled?: boolean; rollout?: number },
  ): Promise<FlagListEntry | null> {
    replace(feedback);
    try {
      const { flag } = await api<{ flag: FlagListEntry }>(
        "PATCH",
        `/api/environments/${e}/flags/${encodeURIComponent(key)}`,
        body,
      );
      const state = stateIn(flag, env);
      announce(`${key} in ${env}: ${state?.enabled ? "on" : "off"}, rollout ${state?.rollout ?? 0}%.`);
      return flag;
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) replace(feedback, errorBox(error));
      return null;
    }
  }

  const rows = flags.map((entry) => {
    const { key } = entry.definition;
    const state = stateIn(entry, env);
    const toggleId = idFor("flag", key, "enabled");
    const sliderId = idFor("flag", key, "rollout");
    const outputId = idFor("flag", key, "rollout-value");
    const toggle = h("input", {
      type: "checkbox",
      role: "switch",
      id: toggleId,
      checked: state?.enabled ?? false,
      disabled: reason !== null,
      ...(reason ? { "aria-describedby": "flags-reason" } : {}),
    });
    const slider = h("input", {
      type: "range",
      id: sliderId,
      min: 0,
      max: 100,
      step: 1,
      value: state?.rollout ?? 0,
      disabled: reason !== null,
      "aria-describedby": reason ? `${outputId} flags-reason` : outputId,
    });
    const onOff = h("span", { "aria-hidden": "true" }, state?.enabled ? "on" : "off");
    const output = h("output", { id: outputId, for: sliderId }, `${state?.rollout ?? 0}%`);
    let shown = state;
    /** Shows the state the server answered (or, after a failure, the last one it confirmed). */
    const apply = (flag: FlagListEntry | null) => {
      if (flag) shown = stateIn(flag, env);
      const now = shown;
      toggle.checked = now?.enabled ?? false;
      onOff.textContent = toggle.checked ? "on" : "off";
      slider.value = String(now?.rollout ?? 0);
      output.textContent = `${now?.rollout ?? 0}%`;
    };
    toggle.addEventListener("change", () => {
      toggle.disabled = true;
      void patch(key, { enabled: toggle.checked }).then((flag) => {
        apply(flag);
        toggle.disabled = false;
      });
    });
    slider.addEventListener("input", () => {
      output.textContent = `${slider.value}%`;
    });
    slider.addEventListener("change", () => {
      void patch(key, { rollout: Number(slider.value) }).then(apply);
    });
    return h(
      "tr",
      {},
      h(
        "th",
        { scope: "row" },
        h("code", {}, key),
        h("div", { class: "muted" }, entry.definition.description),
      ),
      h("td", {}, entry.definition.owner),
      h("td", {}, entry.definition.removalDate ?? "—"),
      h(
        "td",
        {},
        h(
          "div",
          { class: "switch" },
          toggle,
          h(
            "label",
            { for: toggleId },
            h("span", { class: "visually-hidden" }, `${key} enabled in ${env}`),
            onOff,
          ),
        ),
        state?.killed ? h("span", { class: "badge failed" }, "killed") : null,
      ),
      h(
        "td",
        {},
        h("label", { for: sliderId, class: "visually-hidden" }, `${key} rollout percentage in ${env}`),
        slider,
        " ",
        output,
      ),
    );
  });

  replace(
    main,
    h("h1", {}, `Flags in ${env}`),
    subNav(env, "flags"),
    reason ? h("p", { id: "flags-reason", class: "reason" }, `Read only: ${reason}`) : null,
    feedback,
    flags.length === 0
      ? h("p", {}, "No flags yet: create one with `shipgate flags create`.")
      : h(
          "table",
          { class: "flags" },
          h("caption", { class: "visually-hidden" }, `Feature flags in ${env}`),
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ...["Flag", "Owner", "Remove by", "Enabled", "Rollout"].map((c) =>
                h("th", { scope: "col" }, c),
              ),
            ),
          ),
          h("tbody", {}, rows),
        ),
  );
}
