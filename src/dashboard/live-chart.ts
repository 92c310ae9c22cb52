/// <reference types="uplot" />
/**
 * The live charts of an environment: error rate and p99 per version over the last five minutes,
 * two uPlot charts (uPlot is loaded by index.html from /assets, never a CDN) with one series per
 * version, plus a table of the latest figures as the charts' text alternative.
 */

import type { LiveSeries } from "../api/wire-types.js";
import { h, replace } from "./dom.js";
import { formatMs, formatPercent } from "./format.js";

const windowSeconds = 300;

/** Series colours, each ≥ 5.9:1 against the white chart background. */
export const seriesColours = ["#0b57d0", "#b42318", "#146c2e", "#7a3fb8", "#8a5a00"];

function seconds(t: number | string): number {
  if (typeof t === "string") return new Date(t).getTime() / 1000;
  return t > 1e11 ? t / 1000 : t;
}

/** Aligns every release's points on one time axis (null where a release has no point). */
export function alignSeries(live: LiveSeries): {
  x: number[];
  errorRate: (number | null)[][];
  p99: (number | null)[][];
} {
  const times = new Set<number>();
  for (const r of live.releases) for (const p of r.points) times.add(seconds(p.t));
  const x = [...times].sort((a, b) => a - b);
  const index = new Map(x.map((t, i) => [t, i]));
  const errorRate: (number | null)[][] = [];
  const p99: (number | null)[][] = [];
  for (const r of live.releases) {
    const e: (number | null)[] = x.map(() => null);
    const p: (number | null)[] = x.map(() => null);
    for (const point of r.points) {
      const i = index.get(seconds(point.t));
      if (i === undefined) continue;
      e[i] = point.errorRate === null ? null : point.errorRate * 100;
      p[i] = point.p99Ms;
    }
    errorRate.push(e);
    p99.push(p);
  }
  return { x, errorRate, p99 };
}

export interface LiveChart {
  readonly element: HTMLElement;
  update(live: LiveSeries): void;
  destroy(): void;
}

export function createLiveChart(): LiveChart {
  const errorBox = h("div", {
    class: "chart",
    role: "img",
    "aria-label": "Error rate per version, last 5 minutes",
  });
  const p99Box = h("div", {
    class: "chart",
    role: "img",
    "aria-label": "p99 latency per version, last 5 minutes",
  });
  const table = h("div", { class: "live-table" });
  const element = h(
    "section",
    { "aria-labelledby": "live-heading", class: "panel" },
    h("h2", { id: "live-heading" }, "Live: error rate and p99 per version"),
    h("p", { class: "muted" }, "Last 5 minutes, refreshed every 2 s."),
    h(
      "div",
      { class: "charts" },
      h("figure", {}, h("figcaption", {}, "Error rate (%)"), errorBox),
      h("figure", {}, h("figcaption", {}, "p99 latency (ms)"), p99Box),
    ),
    table,
  );
  let charts: uPlot[] = [];
  let key = "";

  function build(live: LiveSeries): void {
    for (const c of charts) c.destroy();
    const width = Math.max(280, Math.min(560, Math.floor(((element.clientWidth || 900) - 96) / 2)));
    const series = (unit: string): uPlot.Series[] => [
      {},
      ...live.releases.map((r, i) => ({
        label: r.version,
        stroke: seriesColours[i % seriesColours.length] ?? "#1b1f24",
        width: 2,
        spanGaps: false,
        value: (_u: uPlot, v: number | null) =>
          v === null || v === undefined ? "—" : `${v.toFixed(unit === "%" ? 2 : 0)} ${unit}`,
      })),
    ];
    // The x axis always spans the last five minutes, however few points there are.
    const x: uPlot.Scale = {
      time: true,
      range: () => {
        const end = Date.now() / 1000;
        return [end - windowSeconds, end];
      },
    };
    const axes: uPlot.Axis[] = [
      { stroke: "#4b5563", grid: { stroke: "#e5e7eb" } },
      { stroke: "#4b5563", grid: { stroke: "#e5e7eb" } },
    ];
    charts = [
      new uPlot(
        {
          width,
          height: 200,
          series: series("%"),
          axes,
          scales: { x, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.2)] } },
        },
        [[]],
        errorBox,
      ),
      new uPlot(
        {
          width,
          height: 200,
          series: series("ms"),
          axes,
          scales: { x, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.2)] } },
        },
        [[]],
        p99Box,
      ),
    ];
  }

  return {
    element,
    update(live) {
      const nextKey = live.releases.map((r) => r.releaseId).join(",");
      if (nextKey !== key || charts.length === 0) {
        key = nextKey;
        build(live);
      }
      const aligned = alignSeries(live);
      charts[0]?.setData([aligned.x, ...aligned.errorRate] as uPlot.AlignedData);
      charts[1]?.setData([aligned.x, ...aligned.p99] as uPlot.AlignedData);
      const rows = live.releases.map((r) => {
        const last = [...r.points].reverse().find((p) => p.errorRate !== null || p.p99Ms !== null);
        return h(
          "tr",
          {},
          h("th", { scope: "row" }, r.version),
          h("td", {}, formatPercent(last?.errorRate)),
          h("td", {}, formatMs(last?.p99Ms)),
          h("td", {}, last ? `${last.rps.toFixed(1)}/s` : "no data"),
        );
      });
      replace(
        table,
        live.releases.length === 0
          ? h("p", {}, "No traffic measured in the last 5 minutes.")
          : h(
              "table",
              {},
              h(
                "caption",
                {},
                `Latest figures (thresholds: error rate ${formatPercent(live.thresholds.errorRate)}, p99 ${formatMs(live.thresholds.p99Ms)})`,
              ),
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  h("th", { scope: "col" }, "Version"),
                  h("th", { scope: "col" }, "Error rate"),
                  h("th", { scope: "col" }, "p99"),
                  h("th", { scope: "col" }, "Requests"),
                ),
              ),
              h("tbody", {}, rows),
            ),
      );
    },
    destroy() {
      for (const c of charts) c.destroy();
      charts = [];
    },
  };
}
