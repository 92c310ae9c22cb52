/**
 * Git hygiene of the range base..HEAD: commits that skip CI, a HEAD that does not contain the base
 * (the deployed version: a force push or a diverged branch would drop deployed commits), and, when
 * config requires it, unsigned commits.
 */
import type { Finding } from "../core/finding.js";
import { type GitCommit, gitCommitsInRange, gitIsAncestor } from "../core/git.js";
import { type Check, type CheckContext, type CheckItem, whyNoBase } from "./types.js";

const docsUrl = "https://github.com/shipgate/shipgate/blob/main/docs/check.md#git-hygiene";

// GitHub, GitLab, Azure Pipelines, CircleCI, Travis and Bitbucket spell it these ways.
const skipCi =
  /\[(skip ci|ci skip|no ci|skip actions|actions skip|skip azurepipelines|azurepipelines skip|skip azp|azp skip|skip pipeline|pipeline skip)\]|\*\*\*NO_CI\*\*\*|^skip-checks:\s*true$/im;

export function skipCiCommits(commits: readonly GitCommit[]): Finding[] {
  return commits
    .filter((c) => skipCi.test(`${c.subject}\n${c.body}`))
    .map((c) => ({
      ruleId: "check-skip-ci-commit",
      severity: "error" as const,
      message: `commit ${c.sha.slice(0, 12)} "${c.subject}" skips CI: its tests never ran`,
      help: "Re-run the pipeline on the range (push a commit without the marker, or trigger the workflow by hand) before deploying.",
      docsUrl,
    }));
}

const goodSignature = new Set(["G", "U"]);

export function unsignedCommits(commits: readonly GitCommit[]): Finding[] {
  return commits
    .filter((c) => !goodSignature.has(c.signature))
    .map((c) => ({
      ruleId: "check-unsigned-commit",
      severity: "error" as const,
      message: `commit ${c.sha.slice(0, 12)} "${c.subject}" by ${c.author} is ${c.signature === "N" ? "not signed" : `signed but the signature does not verify (git %G? = ${c.signature})`}`,
      help: "Sign commits (git config commit.gpgsign true) and make sure this machine can verify them (gpg.ssh.allowedSignersFile for SSH signatures).",
      docsUrl,
    }));
}

export const gitHygieneCheck: Check = {
  id: "git",
  async run(ctx: CheckContext): Promise<CheckItem[]> {
    const group = "application" as const;
    const titles = {
      skip: "Every commit in the range ran CI",
      ff: "HEAD contains the base (no force push)",
      signed: "Every commit in the range is signed",
    };
    if (ctx.base === undefined) {
      const detail = whyNoBase(ctx);
      return [
        { id: "git.skip-ci", group, title: titles.skip, status: "skipped", detail, findings: [] },
        { id: "git.fast-forward", group, title: titles.ff, status: "skipped", detail, findings: [] },
        { id: "git.signed", group, title: titles.signed, status: "skipped", detail, findings: [] },
      ];
    }
    const t0 = performance.now();
    const ancestor = await gitIsAncestor(ctx.cwd, ctx.base, "HEAD");
    const commits = ancestor ? await gitCommitsInRange(ctx.cwd, ctx.base) : [];
    const durationMs = performance.now() - t0;
    const skipped = skipCiCommits(commits);
    const items: CheckItem[] = [
      {
        id: "git.skip-ci",
        group,
        title: titles.skip,
        status: !ancestor ? "skipped" : skipped.length > 0 ? "fail" : "pass",
        ...(!ancestor
          ? { detail: "the range is not a fast-forward" }
          : skipped.length > 0
            ? { detail: `${skipped.length} of ${commits.length} commits skip CI` }
            : { detail: `${commits.length} commits` }),
        findings: skipped,
        durationMs,
      },
      {
        id: "git.fast-forward",
        group,
        title: titles.ff,
        status: ancestor ? "pass" : "fail",
        findings: ancestor
          ? []
          : [
              {
                ruleId: "check-not-fast-forward",
                severity: "error",
                message: `HEAD does not contain ${ctx.baseLabel ?? ctx.base.slice(0, 12)} (${ctx.base.slice(0, 12)}): deploying it would drop commits that are deployed now (history rewritten by a force push, or a branch that diverged)`,
                help: `Rebase or merge onto ${ctx.baseLabel ?? ctx.base.slice(0, 12)} so the deployed commits are included, then run the check again.`,
                docsUrl,
              },
            ],
        durationMs,
      },
    ];
    if (!ctx.config.check.requireSignedCommits) {
      items.push({
        id: "git.signed",
        group,
        title: titles.signed,
        status: "skipped",
        detail: "not required (check.requireSignedCommits)",
        findings: [],
      });
    } else {
      const unsigned = unsignedCommits(commits);
      items.push({
        id: "git.signed",
        group,
        title: titles.signed,
        status: !ancestor ? "skipped" : unsigned.length > 0 ? "fail" : "pass",
        ...(!ancestor ? { detail: "the range is not a fast-forward" } : {}),
        findings: unsigned,
        durationMs,
      });
    }
    return items;
  },
};
