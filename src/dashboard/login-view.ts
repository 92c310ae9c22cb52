/**
 * The login page: one labelled password field taking an API token. The token goes to
 * POST /auth/login once and is never kept; the session cookie and the in-memory CSRF token are.
 */

import type { Me } from "../api/wire-types.js";
import { login } from "./api-client.js";
import { errorBox, h, replace } from "./dom.js";

export function renderLogin(main: HTMLElement, onLogin: (me: Me) => void): void {
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-help",
  });
  const feedback = h("div", { "aria-live": "assertive" });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "panel login" },
    h("label", { for: "token" }, "API token"),
    input,
    h(
      "p",
      { id: "token-help", class: "muted" },
      "Create one with `shipgate tokens create --role viewer --name <you>`. It is sent once to open a session and not stored by the page.",
    ),
    submit,
    feedback,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(feedback);
    login(input.value.trim())
      .then((me) => {
        input.value = "";
        onLogin(me);
      })
      .catch((error: unknown) => {
        replace(feedback, errorBox(error));
        submit.disabled = false;
        input.focus();
      });
  });
  replace(main, h("h1", {}, "Sign in to shipgate"), form);
  input.focus();
}
