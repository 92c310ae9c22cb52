/**
 * Approvals of the release use cases on the in-memory ledger and the fake target: a deploy waits
 * in awaiting_approval until enough other people approve; self-approval, double approval, expired
 * approvals and expired requests; rejection and cancellation; the audit rows of each decision.
 */
import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import type { Deploy, Release } from "../ledger/types.js";
import { fakeDeployContext } from "./fake-context.js";
import { planDeploy } from "./plan.js";
import { abort, approve, countApprovals, type DeployContext, promote, rollback, status } from "./service.js";
import type { FakeTarget } from "./targets/fake-target.js";

const hour = 3_600_000;

function context(clock: { t: number }, actor: string, shared?: DeployContext & { target: FakeTarget }) {
  const config = configSchema.parse({
    environments: {
      production: { target: { type: "local", port: 1 }, approval: { required: 2, expiresAfter: "1h" } },
    },
  });
  return fakeDeployContext({
    config,
    environment: "production",
    clock,
    actor,
    ...(shared ? { shared } : {}),
  });
}

function release(id: string): Release {
  return {
    id,
    version: id,
    gitSha: null,
    artifact: { hash: id, path: "/tmp", bytes: 0, files: 0 },
    start: "node server.js",
    config: {},
    envKeys: [],
    envSealed: null,
    createdAt: new Date(0).toISOString(),
    createdBy: "ada",
  };
}

/** A deploy of v2 by ada waiting for approval, v1 serving. */
async function awaiting(clock: { t: number }) {
  const ada = context(clock, "ada");
  await ada.ledger.saveRelease(release("v2"));
  const plan = planDeploy(
    { releaseId: null, instances: 0 },
    { id: "v2", instances: 1 },
    {
      name: "rolling",
      rolling: { maxSurge: 1, maxUnavailable: 0 },
      canary: { steps: [] },
      startDeadlineMs: 1000,
      smoke: false,
      migrate: false,
      tag: false,
      analysis: false,
      watchMs: 0,
    },
  );
  const deploy: Deploy = {
    id: "d-2",
    environment: "production",
    kind: "deploy",
    releaseId: "v2",
    previousReleaseId: null,
    previousTraffic: [],
    strategy: "rolling",
    status: "awaiting_approval",
    actor: "ada",
    reason: "new checkout",
    plan,
    notes: [],
    nextStep: 0,
    error: null,
    startedAt: new Date(clock.t).toISOString(),
    finishedAt: null,
  };
  await ada.ledger.createDeploy(deploy);
  return { ada, as: (actor: string) => context(clock, actor, ada) };
}

describe("approve", () => {
  it("refuses the author's own approval and counts each other person once", async () => {
    const clock = { t: 0 };
    const { ada, as } = await awaiting(clock);
    await expect(approve(ada, { decision: "approved" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "ada started deploy d-2 and cannot approve it",
    });
    const first = await approve(as("bob"), { decision: "approved", comment: "looks good" });
    expect(first).toMatchObject({
      status: "awaiting_approval",
      approvals: { required: 2, valid: 1 },
      outcome: null,
    });
    await expect(approve(as("bob"), { decision: "approved" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(ada.target.counts()).toEqual({});
  });

  it("runs the deploy when the last approval arrives, and audits every decision", async () => {
    const clock = { t: 0 };
    const { ada, as } = await awaiting(clock);
    await approve(as("bob"), { decision: "approved" });
    clock.t = 60_000;
    const done = await approve(as("cyd"), { decision: "approved", deployId: "d-2" });
    expect(done).toMatchObject({ status: "succeeded", outcome: "succeeded", approvals: { valid: 2 } });
    expect(ada.target.counts()).toEqual({ v2: 1 });
    const audit = await ada.ledger.listAudit();
    expect(audit.map((a) => `${a.actor} ${a.action} ${a.source}`)).toEqual([
      "bob deploy.approve cli@bob-laptop",
      "cyd deploy.approve cli@cyd-laptop",
      "cyd deploy.start cli@cyd-laptop",
      "cyd deploy.succeeded cli@cyd-laptop",
    ]);
    expect(audit[1]?.before).toEqual({ approvals: 1, required: 2 });
    expect(audit[1]?.after).toMatchObject({ approvals: 2, required: 2 });
    expect(await ada.ledger.verifyAudit()).toEqual({ ok: true, count: 4 });
  });

  it("does not count an approval older than approval.expiresAfter", async () => {
    const clock = { t: 0 };
    const { ada, as } = await awaiting(clock);
    await approve(as("bob"), { decision: "approved" });
    // The request itself is renewed (a fresh deploy started now) so only bob's approval is stale.
    await ada.ledger.updateDeploy("d-2", { status: "aborted", finishedAt: new Date(0).toISOString() });
    clock.t = hour + 1;
    const deploy = (await ada.ledger.getDeploy("d-2")) as Deploy;
    const fresh = {
      ...deploy,
      status: "awaiting_approval" as const,
      startedAt: new Date(clock.t).toISOString(),
    };
    expect(
      countApprovals(fresh, await ada.ledger.listApprovals("d-2"), ada.envConfig.approval, ada.now()),
    ).toMatchObject({
      valid: 0,
      approvers: [],
    });
    clock.t = hour - 1;
    expect(
      countApprovals(fresh, await ada.ledger.listApprovals("d-2"), ada.envConfig.approval, ada.now()),
    ).toMatchObject({
      valid: 1,
      approvers: ["bob"],
    });
  });

  it("expires a request left unapproved past expiresAfter; approving it then is a conflict", async () => {
    const clock = { t: 0 };
    const { ada, as } = await awaiting(clock);
    clock.t = hour;
    await expect(approve(as("bob"), { decision: "approved" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("no deploy awaits approval in production"),
    });
    const expired = await ada.ledger.getDeploy("d-2");
    expect(expired).toMatchObject({
      status: "aborted",
      error: expect.stringContaining("approval request expired"),
    });
    expect((await ada.ledger.listAudit()).map((a) => a.action)).toEqual(["deploy.approval-expired"]);
  });

  it("ends the request on a rejection, and abort cancels one without touching traffic", async () => {
    const clock = { t: 0 };
    const first = await awaiting(clock);
    const rejected = await approve(first.as("bob"), { decision: "rejected", comment: "not during the sale" });
    expect(rejected).toMatchObject({ status: "aborted", error: "rejected by bob: not during the sale" });

    const second = await awaiting(clock);
    const cancelled = await abort(second.ada, "wrong version");
    expect(cancelled).toMatchObject({
      outcome: "aborted",
      error: "cancelled by ada before approval: wrong version",
    });
    expect(second.ada.target.currentTraffic).toEqual([]);
  });

  it("promote refuses a deploy that awaits approval; status shows who may approve", async () => {
    const clock = { t: 0 };
    const { ada, as } = await awaiting(clock);
    await approve(as("bob"), { decision: "approved" });
    await expect(promote(ada)).rejects.toMatchObject({
      code: "USAGE",
      hint: expect.stringContaining("shipgate approve production"),
    });
    const shown = await status(ada);
    expect(shown.inProgress).toMatchObject({
      status: "awaiting_approval",
      actor: "ada",
      approval: { required: 2, valid: 1, approvers: ["bob"], expiresAt: "1970-01-01T01:00:00.000Z" },
    });
  });

  it("a rollback that cannot go ahead (no earlier release) leaves the request awaiting approval", async () => {
    const clock = { t: 0 };
    const { as } = await awaiting(clock);
    await expect(rollback(as("bob"), {})).rejects.toMatchObject({
      code: "USAGE",
      message: "production has no earlier release to roll back to",
    });
    expect((await as("bob").ledger.getDeploy("d-2"))?.status).toBe("awaiting_approval");
  });
});
