/**
 * The dashboard end to end in a real browser (Debian's Chromium via playwright-core): the built CLI
 * runs `shipgate serve` on a copy of the deploy fixture (a local-target app, canary with a pause
 * until promote, one approval required). A deployer starts deploys through the team API; in the
 * browser an approver logs in, sees the environment, approves the deploy, promotes it, rolls back
 * (approved by a second approver through the API) and toggles a flag. A viewer sees the buttons
 * disabled with the reason. After `shipgate down`, an approver sees above the plan why the next
 * deploy skips the canary steps (the deploy's notes). Screenshots go to test-artifacts/dashboard/ and docs/images/.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckReport } from "../src/api/wire-types.js";
import { launchBrowser } from "./support/browser.js";
import { repoRoot, runShipgate } from "./support/cli.js";
import { copyDeployFixture } from "./support/deploy-fixture.js";
import { createRoleToken, type RunningServe, startServe } from "./support/serve.js";

const artifacts = join(repoRoot, "test-artifacts/dashboard");
const docsImages = join(repoRoot, "docs/images");

let dir = "";
let appUrl = "";
let server: RunningServe | undefined;
let base = "";
let browser: Browser | undefined;
const tokens: Record<string, string> = {};
let checkReport: CheckReport | undefined;

/** The fixture's `local` environment as a canary that pauses at 25% until promoted, behind one approval. */
function editYaml(yaml: string): string {
  return yaml
    .replace("    strategy: rolling\n", "    strategy: canary\n    approval:\n      required: 1\n")
    .replace(
      "    canary:\n      steps:\n        - setWeight: 50\n        - pause: 1s\n",
      "    canary:\n      steps:\n        - setWeight: 25\n        - pause: until-promote\n",
    );
}

async function call<T>(
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

interface DeployAnswer {
  deploy: { id: string; status: string };
}

async function waitForStatus(deployId: string, wanted: string[], timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const { body } = await call<DeployAnswer>(tokens.viewer ?? "", "GET", `/api/deploys/${deployId}`);
    last = body.deploy.status;
    if (wanted.includes(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `deploy ${deployId} stayed ${last}, expected ${wanted.join(" or ")}\n${server?.output() ?? ""}`,
  );
}

/** The deployer asks for a deploy of `version` through the API; it waits for an approval. */
async function requestDeploy(version: string): Promise<void> {
  const deploy = await call<{ deployId: string }>(
    tokens.deployer ?? "",
    "POST",
    "/api/environments/local/deploys",
    {
      version,
    },
  );
  expect(deploy.status, JSON.stringify(deploy.body)).toBe(202);
  await waitForStatus(deploy.body.deployId, ["awaiting_approval"]);
}

/** Signs in with `token` and opens the local environment's page. */
async function openLocal(page: Page, token: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "local" }).click();
}

async function shot(page: Page, name: string): Promise<void> {
  const file = join(artifacts, `dashboard-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  copyFileSync(file, join(docsImages, `dashboard-${name}.png`));
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  mkdirSync(docsImages, { recursive: true });
  ({ dir, url: appUrl } = await copyDeployFixture(editYaml));
  // A commit with a stored gate report: the releases deployed from it show that report.
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: dir });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "init");
  const check = await runShipgate(["check", "--format", "json"], dir);
  expect(check.stderr).not.toMatch(/not recorded/);
  checkReport = JSON.parse(check.stdout) as CheckReport;
  tokens.deployer = await createRoleToken(dir, "approver", "grace"); // deploys; approver role so the author rule shows
  tokens.approver = await createRoleToken(dir, "approver", "ada");
  tokens.approver2 = await createRoleToken(dir, "approver", "linus");
  tokens.viewer = await createRoleToken(dir, "viewer", "victor");
  const flag = await runShipgate(
    [
      "flags",
      "create",
      "new-checkout",
      "--owner",
      "team-checkout",
      "--removal-date",
      "2030-01-01",
      "--description",
      "The new checkout flow",
    ],
    dir,
  );
  expect(flag.code, flag.stderr).toBe(0);
  server = await startServe(dir);
  base = server.url;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) {
    await runShipgate(["down", "local"], dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("the dashboard in Chromium", () => {
  it("logs in, approves a deploy, watches it promote, rolls back and toggles a flag", async () => {
    // The first release, approved through the API so that the browser deploy has a baseline.
    const first = await call<{ deployId: string }>(
      tokens.deployer ?? "",
      "POST",
      "/api/environments/local/deploys",
      {
        version: "good-a",
      },
    );
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    await waitForStatus(first.body.deployId, ["awaiting_approval"]);
    expect([200, 202]).toContain(
      (await call(tokens.approver2 ?? "", "POST", `/api/deploys/${first.body.deployId}/approve`, {})).status,
    ); // 202 when it starts the deploy
    await waitForStatus(first.body.deployId, ["succeeded"]);

    const second = await call<{ deployId: string }>(
      tokens.deployer ?? "",
      "POST",
      "/api/environments/local/deploys",
      {
        version: "good-b",
        reason: "the new checkout",
      },
    );
    expect(second.status, JSON.stringify(second.body)).toBe(202);
    const deployId = second.body.deployId;
    await waitForStatus(deployId, ["awaiting_approval"]);

    const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content.Security.Policy|Refused/i.test(message.text())) {
        problems.push(message.text());
      }
    });
    try {
      // Log in with the approver's token.
      await page.goto(`${base}/`);
      await page.getByLabel("API token").fill("sg_api_wrong");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toBeTruthy();
      await page.getByLabel("API token").fill(tokens.approver ?? "");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Environments" }).waitFor();
      await page.getByText("awaiting approval 0/1").waitFor();
      const row = page.getByRole("row", { name: /local/ });
      await expect(row.textContent()).resolves.toMatch(/good-a.*grace/s);
      await shot(page, "environments");

      // The session survives a reload (GET /auth/session).
      await page.reload();
      await page.getByRole("heading", { name: "Environments" }).waitFor();

      // The gate report stored for the release's commit: the check's items by status.
      const deployed = await call<{ deploy: { releaseId: string } }>(
        tokens.viewer ?? "",
        "GET",
        `/api/deploys/${first.body.deployId}`,
      );
      await page.goto(`${base}/#/release/${deployed.body.deploy.releaseId}/gate`);
      await page.getByRole("heading", { name: "Gate report of good-a" }).waitFor();
      const report = checkReport as CheckReport;
      // Sections as the CLI's headline counts them (an item failing on warnings only is "with warnings").
      const sections = { fail: "Failed", warn: "With warnings", pass: "Passed" } as const;
      for (const [status, title] of Object.entries(sections)) {
        const count = report.counts[status as keyof typeof sections] ?? 0;
        if (count > 0) await page.getByRole("heading", { name: `${title} (${count})` }).waitFor();
      }
      const gateText = await page.locator("main").textContent();
      for (const item of report.items) expect(gateText).toContain(item.title);
      await shot(page, "gate");
      await page.goto(`${base}/`);
      await page.getByRole("heading", { name: "Environments" }).waitFor();

      // Approve the deploy: a confirmation dialog, then the canary pauses at 25%.
      await page.getByRole("link", { name: "local" }).click();
      await page.getByRole("heading", { name: "Rollout of good-b" }).waitFor();
      await page.getByRole("button", { name: "Approve" }).click();
      const dialog = page.getByRole("dialog");
      await expect(dialog.textContent()).resolves.toMatch(/Approve the deploy of good-b to local\?/);
      await dialog.getByLabel("Comment (optional)").fill("looks good");
      await dialog.getByRole("button", { name: "Approve" }).click();
      await page.locator("#deploy-status", { hasText: "canary paused at 25%" }).waitFor({ timeout: 60_000 });
      await page.getByRole("button", { name: "Promote" }).waitFor();
      // Some traffic through the proxy (≈ 40 requests a second for 12 s) so the live charts draw
      // both versions, refreshing while the page is open.
      const until = Date.now() + 12_000;
      const clients = Array.from({ length: 4 }, async () => {
        while (Date.now() < until) {
          await fetch(`${appUrl}/`).then(
            (r) => r.arrayBuffer(),
            () => undefined,
          );
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      await Promise.all(clients);
      await page.locator(".live-table", { hasText: "good-a" }).waitFor({ timeout: 15_000 });
      await shot(page, "rollout");

      // Promote: the rollout finishes and good-b is current.
      await page.getByRole("button", { name: "Promote" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Promote" }).click();
      await page.locator("#current-version", { hasText: "good-b" }).waitFor({ timeout: 60_000 });
      expect(await waitForStatus(deployId, ["succeeded"])).toBe("succeeded");

      // Roll back. With approval.required it waits for someone else's approval (docs/team-server.md);
      // the dashboard then shows who may approve, and a second approver approves it through the API.
      await page.getByRole("button", { name: "Roll back" }).click();
      await page.getByRole("dialog").getByLabel("Reason (optional)").fill("checkout errors");
      await page.getByRole("dialog").getByRole("button", { name: "Roll back" }).click();
      const waiting = page.getByText("You started this deploy; someone else must approve it.");
      const rolledBack = page.locator("#current-version", { hasText: "good-a" });
      await waiting.or(rolledBack).first().waitFor({ timeout: 60_000 });
      if (await waiting.isVisible()) {
        await expect(page.getByRole("button", { name: "Approve" }).isDisabled()).resolves.toBe(true);
        const { body: envStatus } = await call<{ inProgress: { id: string } | null }>(
          tokens.viewer ?? "",
          "GET",
          "/api/environments/local",
        );
        const rollbackId = envStatus.inProgress?.id ?? "";
        expect(rollbackId).not.toBe("");
        expect([200, 202]).toContain(
          (await call(tokens.approver2 ?? "", "POST", `/api/deploys/${rollbackId}/approve`, {})).status,
        ); // 202 when it starts the deploy
      }
      await rolledBack.waitFor({ timeout: 60_000 });
      await page
        .getByRole("status")
        .filter({ hasText: /rollback .* succeeded/ })
        .waitFor();

      // History with the diff of each entry.
      await page.getByRole("link", { name: "History" }).click();
      await page.getByRole("heading", { name: "History of local" }).waitFor();
      await page.locator("ol.history summary").first().click();
      await expect(page.locator("ol.history").textContent()).resolves.toMatch(
        /rollback good-a.*deploy good-b/s,
      );
      await shot(page, "history");

      // Flags: toggle on and move the rollout; the API confirms both.
      await page.getByRole("link", { name: "Flags" }).click();
      const toggle = page.getByRole("switch", { name: "new-checkout enabled in local" });
      await toggle.check();
      await page.getByRole("status").filter({ hasText: "new-checkout in local: on" }).waitFor();
      const slider = page.getByRole("slider", { name: "new-checkout rollout percentage in local" });
      await slider.fill("40");
      await page.getByRole("status").filter({ hasText: "rollout 40%" }).waitFor();
      const { body: flags } = await call<{
        flags: {
          definition: { key: string };
          states: { environment: string; state: { enabled: boolean; rollout: number } | null }[];
        }[];
      }>(tokens.viewer ?? "", "GET", "/api/environments/local/flags");
      const state = flags.flags
        .find((f) => f.definition.key === "new-checkout")
        ?.states.find((s) => s.environment === "local")?.state;
      expect(state).toMatchObject({ enabled: true, rollout: 40 });
      await shot(page, "flags");

      // The gate report page answers for a release without a stored report.
      await page.goto(`${base}/#/release/no-such-release/gate`);
      await page.getByText("No gate report stored for this release.").waitFor();

      expect(problems).toEqual([]);
    } catch (error) {
      // What the page showed when it failed (test-artifacts only, never the docs).
      await page.screenshot({ path: join(artifacts, "failure.png"), fullPage: true }).catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  });

  it("shows a viewer the actions and flag controls disabled with the reason", async () => {
    await requestDeploy("good-b");
    const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await openLocal(page, tokens.viewer ?? "");
      await expect(page.getByRole("button", { name: "Approve" }).isDisabled()).resolves.toBe(true);
      await page.getByText("Needs the approver role; you are viewer.").first().waitFor();
      await page.getByText("Needs the deployer role; you are viewer.").first().waitFor();
      await shot(page, "viewer");
      await page.getByRole("link", { name: "Flags" }).click();
      await expect(page.getByRole("switch", { name: /new-checkout enabled/ }).isDisabled()).resolves.toBe(
        true,
      );
      await expect(page.getByRole("slider", { name: /new-checkout rollout/ }).isDisabled()).resolves.toBe(
        true,
      );
      // The deploy's author may not approve it, whatever her role.
      const authorContext = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
      try {
        const author = await authorContext.newPage();
        await openLocal(author, tokens.deployer ?? "");
        await author.getByText("You started this deploy; someone else must approve it.").first().waitFor();
        await expect(author.getByRole("button", { name: "Approve" }).isDisabled()).resolves.toBe(true);
        await expect(author.getByRole("button", { name: "Abort" }).isDisabled()).resolves.toBe(false);
      } finally {
        await authorContext.close();
      }
      // Abort through the API to leave the environment idle.
      await call(tokens.deployer ?? "", "POST", "/api/environments/local/abort", { reason: "test over" });
    } finally {
      await context.close();
    }
  });

  it("tells the approver, above the plan, why a deploy after `shipgate down` skips the canary steps", async () => {
    const down = await runShipgate(["down", "local"], dir);
    expect(down.code, down.stderr).toBe(0);
    await requestDeploy("good-b");
    const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    try {
      await openLocal(page, tokens.approver ?? "");
      const note = page.locator(".plan-notes li").first();
      await note.waitFor();
      expect(await note.textContent()).toMatch(
        /^good-a is recorded as current but is not running \(stopped by `shipgate down`\): good-b gets all traffic once healthy; the canary steps are skipped\.$/,
      );
    } finally {
      await context.close();
      await call(tokens.deployer ?? "", "POST", "/api/environments/local/abort", { reason: "test over" });
    }
  });
});
