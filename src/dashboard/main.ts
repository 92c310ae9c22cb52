/**
 * The dashboard's entry (a single-page app with hash routes, loaded by index.html as a module):
 *   #/                      environments
 *   #/env/:env              an environment: live rollout, actions, charts
 *   #/env/:env/history      its history with diffs
 *   #/env/:env/flags        its flags
 *   #/release/:id/gate      a release's gate report
 * It restores the session on load (GET /auth/session) and shows the login form on any 401.
 */

import type { Me } from "../api/wire-types.js";
import { ApiError, logout, restoreSession, setUnauthorizedHandler } from "./api-client.js";
import { announce, errorBox, h, replace } from "./dom.js";
import { renderEnvironment } from "./environment-view.js";
import { renderEnvironments } from "./environments-view.js";
import { renderFlags } from "./flags-view.js";
import { renderGate } from "./gate-view.js";
import { renderHistory } from "./history-view.js";
import { renderLogin } from "./login-view.js";

const main = document.getElementById("main") as HTMLElement;
const who = document.getElementById("who") as HTMLElement;
let me: Me | null = null;
let cleanup: (() => void) | null = null;

function segment(value: string | undefined): string {
  return decodeURIComponent(value ?? "");
}

function showLogin(): void {
  cleanup?.();
  cleanup = null;
  me = null;
  replace(who);
  renderLogin(main, (principal) => {
    me = principal;
    announce(`Signed in as ${principal.name} (${principal.role}).`);
    showWho();
    void route();
  });
}

function showWho(): void {
  if (!me) return;
  const signOut = h("button", { type: "button", class: "secondary" }, "Sign out");
  signOut.addEventListener("click", () => {
    void logout()
      .catch(() => undefined)
      .then(() => {
        announce("Signed out.");
        showLogin();
      });
  });
  replace(
    who,
    h(
      "span",
      {},
      "Signed in as ",
      h("strong", { id: "me-name" }, me.name),
      ` (${me.role}${me.environment ? `, ${me.environment} only` : ""})`,
    ),
    signOut,
  );
}

async function route(): Promise<void> {
  cleanup?.();
  cleanup = null;
  if (!me) {
    showLogin();
    return;
  }
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  try {
    if (parts[0] === "env" && parts[1]) {
      const env = segment(parts[1]);
      if (parts[2] === "history") await renderHistory(main, env);
      else if (parts[2] === "flags") await renderFlags(main, env, me);
      else cleanup = renderEnvironment(main, env, me);
    } else if (parts[0] === "release" && parts[1] && parts[2] === "gate") {
      await renderGate(main, segment(parts[1]));
    } else {
      await renderEnvironments(main);
    }
    const heading = main.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      document.title = `${heading.textContent ?? ""} · shipgate`;
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // the handler shows the login
    replace(main, h("h1", {}, "Something went wrong"), errorBox(error));
  }
}

setUnauthorizedHandler(() => {
  announce("Your session ended; sign in again.");
  showLogin();
});

window.addEventListener("hashchange", () => {
  if (!location.hash.startsWith("#/") && location.hash !== "") return; // in-page links (skip link)
  void route().then(() => main.querySelector<HTMLElement>("h1")?.focus());
});

restoreSession()
  .then((principal) => {
    me = principal;
    if (me) showWho();
    return route();
  })
  .catch((error: unknown) => {
    replace(main, h("h1", {}, "Cannot reach the server"), errorBox(error));
  });
