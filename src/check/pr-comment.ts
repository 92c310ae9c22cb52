/**
 * The sticky pull-request comment: one comment per pull request, found by its marker and updated in
 * place on every run, through GitHub's REST API (issues comments). Runs inside GitHub Actions with
 * GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_EVENT_PATH (a pull_request event); GITHUB_API_URL
 * points elsewhere for GitHub Enterprise. The token is sent, never printed.
 */
import { readFileSync } from "node:fs";
import { ShipgateError } from "../core/errors.js";

export interface PrTarget {
  apiUrl: string;
  repository: string;
  number: number;
  token: string;
}

/** Where to comment, from the GitHub Actions environment; throws with what is missing. */
export function prTargetFromEnv(env: NodeJS.ProcessEnv): PrTarget {
  const missing = ["GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH"].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new ShipgateError("USAGE", `--pr-comment needs ${missing.join(", ")} in the environment`, {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, printed as is.
      hint: "Run it in a GitHub Actions job triggered by pull_request, with env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }} and permissions: pull-requests: write.",
    });
  }
  let event: { pull_request?: { number?: number }; number?: number };
  try {
    event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH as string, "utf8")) as typeof event;
  } catch {
    throw new ShipgateError("USAGE", "--pr-comment could not read the event file (GITHUB_EVENT_PATH)", {
      hint: "Run it in a GitHub Actions job triggered by pull_request.",
    });
  }
  const number = event.pull_request?.number ?? event.number;
  if (typeof number !== "number") {
    throw new ShipgateError(
      "USAGE",
      "--pr-comment runs on pull_request events only (the event has no pull request)",
      {
        hint: "Trigger the job on pull_request, or drop --pr-comment and use --format markdown.",
      },
    );
  }
  return {
    apiUrl: (env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, ""),
    repository: env.GITHUB_REPOSITORY as string,
    number,
    token: env.GITHUB_TOKEN as string,
  };
}

async function github(target: PrTarget, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${target.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": "shipgate",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    // No answer at all (DNS, refused connection, timeout): a service that does not answer, not a bug.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ShipgateError(
      "COMMAND_FAILED",
      `GitHub did not answer ${method} ${target.apiUrl}${path}: ${why}`,
      {
        hint: "Check GITHUB_API_URL (unset for github.com) and the runner's network, then run again; the report above is complete.",
        cause: error,
      },
    );
  }
  if (!res.ok) {
    const text = (await res.text()).slice(0, 300);
    throw new ShipgateError("COMMAND_FAILED", `GitHub answered ${res.status} to ${method} ${path}: ${text}`, {
      hint:
        res.status === 403 || res.status === 401
          ? "Give the job's token permission to comment: permissions: pull-requests: write."
          : "Check GITHUB_REPOSITORY and the pull request, then run again.",
    });
  }
  return res.status === 204 ? undefined : await res.json();
}

/** Creates the comment, or updates the earlier one that starts with `marker`. */
export async function upsertPrComment(
  target: PrTarget,
  marker: string,
  body: string,
): Promise<{ action: "created" | "updated"; url: string }> {
  const base = `/repos/${target.repository}/issues`;
  for (let page = 1; page <= 50; page++) {
    const comments = (await github(
      target,
      "GET",
      `${base}/${target.number}/comments?per_page=100&page=${page}`,
    )) as {
      id: number;
      body?: string;
      html_url: string;
    }[];
    const mine = comments.find((c) => c.body?.startsWith(marker));
    if (mine) {
      const updated = (await github(target, "PATCH", `${base}/comments/${mine.id}`, { body })) as {
        html_url: string;
      };
      return { action: "updated", url: updated.html_url };
    }
    if (comments.length < 100) break;
  }
  const created = (await github(target, "POST", `${base}/${target.number}/comments`, { body })) as {
    html_url: string;
  };
  return { action: "created", url: created.html_url };
}
