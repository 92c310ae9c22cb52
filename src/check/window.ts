/**
 * The deploy window: a policy of when deploys to an environment may happen, in the team's time zone.
 * The default blocks production deploys on Friday from 15:00, at weekends and on listed holidays.
 * `--override-window --reason "…"` lets one deploy through and records why.
 */
import type { ShipgateConfig } from "../config/schema.js";
import type { Finding } from "../core/finding.js";
import type { Check, CheckContext, CheckItem } from "./types.js";

const docsUrl = "https://github.com/shipgate/shipgate/blob/main/docs/check.md#deploy-window";

export type WindowPolicy = ShipgateConfig["check"]["window"];

const weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const dayNames: Record<string, string> = {
  sun: "Sunday",
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
};

export interface LocalTime {
  /** yyyy-mm-dd in the zone. */
  date: string;
  day: (typeof weekdays)[number];
  /** Minutes since local midnight. */
  minutes: number;
  /** hh:mm, for messages. */
  clock: string;
}

/** The wall-clock time of `instant` in `timeZone` (IANA name). */
export function localTime(instant: Date, timeZone: string): LocalTime {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  const day = String(parts.weekday).slice(0, 3).toLowerCase() as LocalTime["day"];
  const hour = Number(parts.hour);
  const minute = Number(parts.minute);
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    day,
    minutes: hour * 60 + minute,
    clock: `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`,
  };
}

function toMinutes(hhmm: string): number {
  const [h = "0", m = "0"] = hhmm.split(":");
  return Number(h) * 60 + Number(m);
}

/** Why `instant` is outside the window, or undefined when deploys are allowed then. */
export function windowViolation(policy: WindowPolicy, instant: Date): string | undefined {
  const t = localTime(instant, policy.timezone);
  const holiday = policy.holidays.find((h) => h.date === t.date);
  if (holiday) return `${t.date} is a holiday${holiday.name ? ` (${holiday.name})` : ""}`;
  for (const rule of policy.blocked) {
    if (!rule.days.includes(t.day)) continue;
    const from = rule.from === undefined ? 0 : toMinutes(rule.from);
    const until = rule.until === undefined ? 24 * 60 : toMinutes(rule.until);
    if (t.minutes < from || t.minutes >= until) continue;
    const span =
      rule.from === undefined && rule.until === undefined
        ? "all day"
        : `${rule.from !== undefined ? `from ${rule.from}` : ""}${rule.until !== undefined ? ` until ${rule.until}` : ""}`.trim();
    return `it is ${dayNames[t.day]} ${t.clock} ${policy.timezone}, and deploys are blocked on ${dayNames[t.day]} ${span}`;
  }
  return undefined;
}

export interface WindowOverride {
  reason: string;
}

export function windowCheck(override: WindowOverride | undefined): Check {
  return {
    id: "window",
    async run(ctx: CheckContext): Promise<CheckItem[]> {
      const policy = ctx.config.check.window;
      const base = {
        id: "window.deploy-window",
        group: "rollback" as const,
        title: "Inside the deploy window",
      };
      if (ctx.environment === undefined) {
        return [
          { ...base, status: "skipped", detail: "no target environment (--environment)", findings: [] },
        ];
      }
      // An override with nothing to override is said, not dropped: the user asked for it and gave a reason.
      const notApplied = (because: string): Finding[] =>
        override
          ? [
              {
                ruleId: "check-window-override-not-applied",
                severity: "info",
                message: `--override-window not needed and not applied: ${because}; reason given: ${override.reason}`,
                docsUrl,
              },
            ]
          : [];
      if (!policy.environments.includes(ctx.environment)) {
        const covered =
          policy.environments.length === 0
            ? "check.window.environments is empty"
            : `check.window.environments: ${policy.environments.join(", ")}`;
        return [
          {
            ...base,
            status: "pass",
            detail: `no window applies to ${ctx.environment} (${covered})${override ? "; --override-window not needed" : ""}`,
            findings: notApplied(`no deploy window covers ${ctx.environment} (${covered})`),
          },
        ];
      }
      const why = windowViolation(policy, ctx.now);
      if (why === undefined) {
        return [
          {
            ...base,
            status: "pass",
            ...(override ? { detail: "inside the window; --override-window not needed" } : {}),
            findings: notApplied(`it is inside the deploy window for ${ctx.environment}`),
          },
        ];
      }
      if (override) {
        const finding: Finding = {
          ruleId: "check-window-overridden",
          severity: "info",
          message: `deploy window overridden: ${why}; reason: ${override.reason}`,
          docsUrl,
        };
        return [{ ...base, status: "pass", detail: `overridden: ${override.reason}`, findings: [finding] }];
      }
      return [
        {
          ...base,
          status: "fail",
          detail: why,
          findings: [
            {
              ruleId: "check-outside-window",
              severity: "error",
              message: `outside the deploy window for ${ctx.environment}: ${why}`,
              // The same --environment: without it the window is not checked and the override is not recorded.
              help: `Wait for the window, or override it with a reason: shipgate check --environment ${ctx.environment} --override-window --reason "hotfix for …"`,
              docsUrl,
            },
          ],
        },
      ];
    },
  };
}

export { weekdays };
