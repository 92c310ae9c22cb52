/**
 * Dashboard sessions, opened by logging in with a role token: a random 32-byte id (the cookie's
 * value) kept in memory only as its SHA-256, with the token it was opened with, a CSRF token and
 * an absolute expiry. The store knows nothing of the ledger: the auth hook re-checks the session's
 * token on every request, so revoking the token ends its sessions. Sessions end with the process
 * (users log in again). Memory is bounded: expired sessions are swept, and past `maxSessions` the
 * oldest one is ended.
 */
import { createHash, randomBytes } from "node:crypto";

export interface Session {
  /** The id of the token the session was opened with. */
  tokenId: string;
  /** That token's hash (how the ledger finds it again). */
  tokenHash: string;
  /** Sent back in `X-CSRF-Token` by every unsafe request made with the cookie. */
  csrfToken: string;
  /** ms since the epoch. */
  expiresAt: number;
}

export interface SessionStore {
  /** Opens a session; returns its id (the cookie value, never stored) and the session. */
  create(token: { id: string; hash: string }, now: number): { id: string; session: Session };
  /** The live session with this id, or null (unknown or expired: an expired one is dropped). */
  get(id: string, now: number): Session | null;
  /** Ends a session. */
  delete(id: string): void;
  /** Sessions held now (tests). */
  size(): number;
}

export interface SessionStoreOptions {
  /** How long a session lasts after login, in milliseconds. */
  ttlMs: number;
  /** Most sessions held at once (default 10 000). */
  maxSessions?: number;
}

function digest(id: string): string {
  return createHash("sha256").update(id, "utf8").digest("hex");
}

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const maxSessions = options.maxSessions ?? 10_000;
  // Insertion order is creation order, and every session lives ttlMs: the first ones expire first.
  const sessions = new Map<string, Session>();

  function sweep(now: number): void {
    for (const [key, session] of sessions) {
      if (session.expiresAt > now) break;
      sessions.delete(key);
    }
    while (sessions.size >= maxSessions) {
      const oldest = sessions.keys().next();
      if (oldest.done) break;
      sessions.delete(oldest.value);
    }
  }

  return {
    create(token, now) {
      sweep(now);
      const id = randomBytes(32).toString("base64url");
      const session: Session = {
        tokenId: token.id,
        tokenHash: token.hash,
        csrfToken: randomBytes(32).toString("base64url"),
        expiresAt: now + options.ttlMs,
      };
      sessions.set(digest(id), session);
      return { id, session };
    },
    get(id, now) {
      const key = digest(id);
      const session = sessions.get(key);
      if (session === undefined) return null;
      if (session.expiresAt <= now) {
        sessions.delete(key);
        return null;
      }
      return session;
    },
    delete(id) {
      sessions.delete(digest(id));
    },
    size: () => sessions.size,
  };
}
