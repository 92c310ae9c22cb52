import { describe, expect, it } from "vitest";
import { notificationsSchema } from "./notify-schema.js";

function issues(input: unknown): string[] {
  const result = notificationsSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("notificationsSchema", () => {
  it("parses a good config with defaults", () => {
    expect(notificationsSchema.parse(undefined)).toEqual([]);
    expect(
      notificationsSchema.parse([
        {
          type: "slack",
          urlEnv: "SLACK_WEBHOOK_URL",
          link: "https://ci.example.com/{environment}/{deployId}",
        },
        {
          type: "webhook",
          name: "audit",
          url: "https://audit.example.com/shipgate",
          secretEnv: "AUDIT_HMAC_KEY",
        },
        {
          type: "webhook",
          urlEnv: "PAGER_WEBHOOK_URL",
          events: ["deploy-failed", "deploy-rolled-back"],
          retries: 5,
          timeout: "10s",
        },
      ]),
    ).toEqual([
      {
        type: "slack",
        urlEnv: "SLACK_WEBHOOK_URL",
        link: "https://ci.example.com/{environment}/{deployId}",
        timeout: 5000,
      },
      {
        type: "webhook",
        name: "audit",
        url: "https://audit.example.com/shipgate",
        secretEnv: "AUDIT_HMAC_KEY",
        retries: 3,
        timeout: 5000,
      },
      {
        type: "webhook",
        urlEnv: "PAGER_WEBHOOK_URL",
        events: ["deploy-failed", "deploy-rolled-back"],
        retries: 5,
        timeout: 10_000,
      },
    ]);
  });

  it("wants exactly one of url and urlEnv", () => {
    const both = issues([{ type: "webhook", url: "https://a.example.com", urlEnv: "HOOK_URL" }]);
    expect(both).toEqual([
      "0.url: set exactly one of url (a URL without secrets) or urlEnv (the env variable holding the URL)",
    ]);
    expect(issues([{ type: "webhook" }])).toEqual(both);
  });

  it("rejects a lower-case env name, an unknown event, a bad placeholder and unknown keys", () => {
    expect(issues([{ type: "slack", urlEnv: "slack_url" }])).toEqual([
      "0.urlEnv: expected an environment variable name such as SLACK_WEBHOOK_URL",
    ]);
    expect(issues([{ type: "slack", urlEnv: "SLACK_URL", events: ["deploy-done"] }])).toEqual([
      "0.events.0: expected one of deploy-started, deploy-succeeded, deploy-failed, deploy-rolled-back, approval-requested",
    ]);
    expect(issues([{ type: "slack", urlEnv: "SLACK_URL", link: "https://x.example.com/{sha}" }])).toEqual([
      "0.link: unknown placeholder; use {environment}, {version}, {deployId}",
    ]);
    expect(issues([{ type: "slack", urlEnv: "SLACK_URL", url: "https://hooks.slack.com/x" }])[0]).toMatch(
      /url/,
    );
    expect(issues([{ type: "email", to: "x" }])).toHaveLength(1);
  });
});
