/**
 * The dashboard's one way to call the team API: same-origin fetch with the session cookie, JSON in
 * and out, the CSRF token (kept in memory only) on every unsafe request, and errors turned into
 * ApiError carrying the server's `error.message` and `error.hint`. A 401 calls the handler the app
 * installs (it shows the login form).
 */
import type { Me, SessionAnswer } from "../api/wire-types.js";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;

  constructor(status: number, code: string, message: string, hint?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => undefined;

export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = `${response.status} ${response.statusText || "request failed"}`;
  let hint: string | undefined;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; hint?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
    if (body.error?.hint) hint = body.error.hint;
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 429) {
    const retry = response.headers.get("retry-after");
    if (retry) hint = `${hint ? `${hint} ` : ""}Try again in ${retry} s.`;
  }
  return new ApiError(response.status, code, message, hint);
}

/** Calls the API; resolves with the parsed JSON (null for an empty body). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["x-csrf-token"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      cache: "no-store",
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    throw new ApiError(
      0,
      "NETWORK",
      `cannot reach the server (${(error as Error).message})`,
      "Is `shipgate serve` running?",
    );
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !path.startsWith("/auth/")) {
      csrfToken = null;
      onUnauthorized();
    }
    throw error;
  }
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** Opens a session with an API token; the CSRF token stays in this module's memory. */
export async function login(token: string): Promise<Me> {
  const answer = await api<SessionAnswer>("POST", "/auth/login", { token });
  csrfToken = answer.csrfToken;
  return answer.principal;
}

/** Restores the session after a reload; null when there is none. */
export async function restoreSession(): Promise<Me | null> {
  try {
    const answer = await api<SessionAnswer>("GET", "/auth/session");
    csrfToken = answer.csrfToken;
    return answer.principal;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function logout(): Promise<void> {
  try {
    await api("POST", "/auth/logout");
  } finally {
    csrfToken = null;
  }
}
