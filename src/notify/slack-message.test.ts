import { describe, expect, it } from "vitest";
import type { DeployEvent } from "./deploy-event.js";
import {
  buildSlackMessage,
  changelogText,
  fitMrkdwn,
  fitPlain,
  renderLink,
  slackLimits,
} from "./slack-message.js";

function event(overrides: Partial<DeployEvent> = {}): DeployEvent {
  return {
    type: "deploy-started",
    environment: "production",
    deployId: "d-1",
    kind: "deploy",
    version: "v3",
    previousVersion: null,
    gitSha: null,
    actor: "bob",
    reason: null,
    strategy: "rolling",
    changelog: [],
    url: null,
    at: "2025-01-01T00:00:00.000Z",
    ...overrides,
  };
}

function texts(message: ReturnType<typeof buildSlackMessage>): string[] {
  return message.blocks.flatMap((b) =>
    b.type === "header"
      ? [b.text.text]
      : b.type === "section"
        ? [b.text?.text ?? "", ...(b.fields ?? []).map((f) => f.text)]
        : b.type === "context"
          ? b.elements.map((e) => e.text)
          : [],
  );
}

describe("buildSlackMessage", () => {
  it("has a header per event and kind", () => {
    const header = (e: DeployEvent) => texts(buildSlackMessage(e, null))[0];
    expect(header(event())).toBe("🚀 Deploying v3 to production");
    expect(header(event({ type: "deploy-failed" }))).toBe("❌ Deploy of v3 to production failed");
    expect(header(event({ type: "deploy-rolled-back", previousVersion: "v2" }))).toBe(
      "↩️ Deploy of v3 to production rolled back to v2",
    );
    expect(header(event({ type: "deploy-succeeded", kind: "rollback", version: "v1" }))).toBe(
      "✅ production rolled back to v1",
    );
    expect(header(event({ type: "approval-requested" }))).toBe(
      "✋ Approval needed to deploy v3 to production",
    );
  });

  it("leaves out the SHA, reason, changelog and button when unknown", () => {
    const message = buildSlackMessage(event(), null);
    expect(message.blocks.map((b) => b.type)).toEqual(["header", "section", "context"]);
    expect(message.text).toBe("🚀 Deploying v3 to production (by bob)");
  });

  it("cuts every text to Slack's limits without splitting characters or escapes", () => {
    const long = "é<😀>&".repeat(2000);
    const message = buildSlackMessage(
      event({
        environment: "x".repeat(500),
        version: long,
        reason: long,
        actor: long,
        changelog: Array.from({ length: 40 }, (_, i) => ({
          sha: `${i}abcdef0`,
          subject: long,
          author: long,
        })),
      }),
      `https://example.com/${"a".repeat(4000)}`,
    );
    const [header] = message.blocks;
    expect(header?.type === "header" && header.text.text.length).toBeLessThanOrEqual(slackLimits.headerText);
    for (const block of message.blocks) {
      if (block.type === "section") {
        expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(slackLimits.sectionText);
        expect(block.fields?.length ?? 0).toBeLessThanOrEqual(slackLimits.fields);
        for (const f of block.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(slackLimits.fieldText);
      }
    }
    expect(message.blocks.some((b) => b.type === "actions")).toBe(false); // a link over 3000 chars is dropped
    for (const text of [...texts(message).slice(1), message.text]) {
      // mrkdwn texts (the header is plain_text, where <, > and & are literal)
      expect(text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/); // no lone high surrogate
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/); // no cut escape
      expect(text).not.toMatch(/[<>]/);
    }
  });
});

describe("changelogText", () => {
  it("lists at most 10 commits, then how many more", () => {
    const log = Array.from({ length: 12 }, (_, i) => ({
      sha: `sha${i}xxxxxx`,
      subject: `fix ${i}`,
      author: "ann",
    }));
    const lines = changelogText(log, 3000).split("\n");
    expect(lines).toHaveLength(12);
    expect(lines[1]).toBe("• fix 0 — ann (`sha0xxx`)");
    expect(lines[11]).toBe("…and 2 more");
    expect(changelogText(log.slice(0, 3), 3000).split("\n")).toHaveLength(4);
  });
});

describe("fit helpers", () => {
  it("keep short text and mark a cut with …", () => {
    expect(fitMrkdwn("a<b", 10)).toBe("a&lt;b");
    expect(fitMrkdwn("a<bcdef", 6)).toBe("a&lt;…");
    expect(fitMrkdwn("ab<cdef", 5)).toBe("ab…"); // never "ab&l…"
    expect(fitPlain("😀😀😀", 4)).toBe("😀…");
  });
});

describe("renderLink", () => {
  it("fills the placeholders URL-encoded, else uses the event's url", () => {
    const e = event({ environment: "prod eu", url: "https://app.example.com" });
    expect(renderLink("https://ci.example.com/{environment}/{version}?d={deployId}", e)).toBe(
      "https://ci.example.com/prod%20eu/v3?d=d-1",
    );
    expect(renderLink(undefined, e)).toBe("https://app.example.com");
  });
});
