/** The session store: random ids kept only as hashes, expiry, and bounded memory. */
import { describe, expect, it } from "vitest";
import { createSessionStore } from "./sessions.js";

const token = { id: "tok_1", hash: "a".repeat(64) };

describe("createSessionStore", () => {
  it("opens sessions with distinct random ids and CSRF tokens, found again by id until they expire", () => {
    const store = createSessionStore({ ttlMs: 1000 });
    const a = store.create(token, 0);
    const b = store.create(token, 0);
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrfToken).not.toBe(b.session.csrfToken);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.get(a.id, 999)).toEqual({
      tokenId: "tok_1",
      tokenHash: token.hash,
      csrfToken: a.session.csrfToken,
      expiresAt: 1000,
    });
    expect(store.get(a.id, 1000)).toBeNull();
    expect(store.get("unknown", 0)).toBeNull();
  });

  it("ends a session on delete", () => {
    const store = createSessionStore({ ttlMs: 1000 });
    const { id } = store.create(token, 0);
    store.delete(id);
    expect(store.get(id, 1)).toBeNull();
    expect(store.size()).toBe(0);
  });

  it("sweeps expired sessions and ends the oldest past maxSessions", () => {
    const store = createSessionStore({ ttlMs: 1000, maxSessions: 2 });
    const first = store.create(token, 0);
    store.create(token, 10);
    const third = store.create(token, 20);
    expect(store.size()).toBe(2);
    expect(store.get(first.id, 30)).toBeNull();
    expect(store.get(third.id, 30)).not.toBeNull();
    store.create(token, 5000); // both others have expired
    expect(store.size()).toBe(1);
  });
});
