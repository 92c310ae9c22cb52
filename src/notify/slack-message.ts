/**
 * The Slack message of a deploy event: a fallback `text` and Block Kit `blocks` — a header with an
 * emoji per event, the facts as section fields, the reason, the changelog and a View button. Every
 * text is cut to Slack's limits (header 150, section text 3000, field 2000, ≤ 10 fields) without
 * splitting a character or an escape. Pure: sending is createNotifier's job.
 */
import type { DeployEvent, DeployEventType } from "./deploy-event.js";

export const slackLimits = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  buttonUrl: 3000,
  fallbackText: 3000,
  changelogLines: 10,
} as const;

export interface SlackText {
  type: "plain_text" | "mrkdwn";
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: "header"; text: SlackText }
  | { type: "section"; text?: SlackText; fields?: SlackText[] }
  | { type: "context"; elements: SlackText[] }
  | {
      type: "actions";
      elements: { type: "button"; text: SlackText; url: string; action_id: string }[];
    };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

const emoji: Record<DeployEventType, string> = {
  "deploy-started": "🚀",
  "deploy-succeeded": "✅",
  "deploy-failed": "❌",
  "deploy-rolled-back": "↩️",
  "approval-requested": "✋",
};

/** One line saying what happened, e.g. "Deploying v2 to production". */
export function eventHeadline(event: DeployEvent): string {
  const { environment: env, version } = event;
  const rollback = event.kind === "rollback";
  switch (event.type) {
    case "deploy-started":
      return rollback ? `Rolling back ${env} to ${version}` : `Deploying ${version} to ${env}`;
    case "deploy-succeeded":
      return rollback ? `${env} rolled back to ${version}` : `${env} is on ${version}`;
    case "deploy-failed":
      return rollback ? `Rollback of ${env} to ${version} failed` : `Deploy of ${version} to ${env} failed`;
    case "deploy-rolled-back":
      return rollback
        ? `${env} rolled back to ${version}`
        : `Deploy of ${version} to ${env} rolled back${event.previousVersion ? ` to ${event.previousVersion}` : ""}`;
    case "approval-requested":
      return rollback
        ? `Approval needed to roll back ${env} to ${version}`
        : `Approval needed to deploy ${version} to ${env}`;
  }
}

function escapeChar(ch: string): string {
  return ch === "&" ? "&amp;" : ch === "<" ? "&lt;" : ch === ">" ? "&gt;" : ch;
}

/** Escapes &, < and > (Slack's control characters) and cuts to `max` with "…" when longer. */
export function fitMrkdwn(raw: string, max: number): string {
  const chars = Array.from(raw);
  const escaped = chars.map(escapeChar);
  const total = escaped.reduce((n, s) => n + s.length, 0);
  if (total <= max) return escaped.join("");
  let out = "";
  for (const piece of escaped) {
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/** Cuts plain text to `max` UTF-16 units without splitting a character. */
export function fitPlain(raw: string, max: number): string {
  if (raw.length <= max) return raw;
  let out = "";
  for (const ch of raw) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

function code(text: string): string {
  return `\`${text.replaceAll("`", "'")}\``;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** The changelog as bulleted lines (at most 10, then "…and N more"), within `max` characters. */
export function changelogText(changelog: DeployEvent["changelog"], max: number): string {
  const title = `*Changes* (${changelog.length})`;
  const lines: string[] = [];
  let used = title.length;
  for (const [i, entry] of changelog.entries()) {
    const remainingAfter = changelog.length - i - 1;
    const reserve = remainingAfter > 0 ? 40 : 0;
    const line = `• ${fitMrkdwn(entry.subject, 200)} — ${fitMrkdwn(entry.author, 80)} (${code(shortSha(entry.sha))})`;
    if (lines.length >= slackLimits.changelogLines || used + 1 + line.length + reserve > max) break;
    lines.push(line);
    used += 1 + line.length;
  }
  const more = changelog.length - lines.length;
  if (more > 0) lines.push(`…and ${more} more`);
  return [title, ...lines].join("\n");
}

function field(label: string, value: string): SlackText {
  return {
    type: "mrkdwn",
    text: `*${label}*\n${fitMrkdwn(value, slackLimits.fieldText - label.length - 3)}`,
  };
}

/** Builds the message; `link` is the View button's URL (the rendered template or the event's url). */
export function buildSlackMessage(event: DeployEvent, link: string | null): SlackMessage {
  const headline = `${emoji[event.type]} ${eventHeadline(event)}`;
  const blocks: SlackBlock[] = [
    {
      type: "header",
      text: { type: "plain_text", text: fitPlain(headline, slackLimits.headerText), emoji: true },
    },
  ];

  const versionText = event.previousVersion
    ? `${event.version} (was ${event.previousVersion})`
    : event.version;
  const fields: SlackText[] = [
    field("Environment", event.environment),
    field("Version", versionText),
    ...(event.gitSha ? [field("SHA", shortSha(event.gitSha))] : []),
    field("Author", event.actor),
    field("Strategy", event.strategy),
  ].slice(0, slackLimits.fields);
  blocks.push({ type: "section", fields });

  if (event.reason) {
    const label = event.type === "deploy-failed" || event.type === "deploy-rolled-back" ? "Why" : "Reason";
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: `*${label}*\n${fitMrkdwn(event.reason, slackLimits.sectionText - 10)}` },
    });
  }

  if (event.changelog.length > 0) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: changelogText(event.changelog, slackLimits.sectionText) },
    });
  }

  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: fitMrkdwn(`${event.kind} ${event.deployId} · ${event.at}`, slackLimits.sectionText),
      },
    ],
  });

  if (link && /^https?:\/\//.test(link) && link.length <= slackLimits.buttonUrl) {
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "View", emoji: false },
          url: link,
          action_id: "shipgate-view",
        },
      ],
    });
  }

  const fallback = `${headline} (by ${event.actor})${event.reason ? `: ${event.reason}` : ""}`;
  return { text: fitMrkdwn(fallback, slackLimits.fallbackText), blocks };
}

/** The View link: the template with {environment}, {version}, {deployId} filled in (URL-encoded), else the event's url. */
export function renderLink(template: string | undefined, event: DeployEvent): string | null {
  if (template === undefined) return event.url;
  return template.replace(
    /\{(environment|version|deployId)\}/g,
    (_, name: "environment" | "version" | "deployId") => encodeURIComponent(event[name]),
  );
}
