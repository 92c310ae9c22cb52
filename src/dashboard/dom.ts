/**
 * Small DOM helpers: `h()` builds elements from a tag, properties and children (text is always set
 * as text, never parsed as HTML), `announce()` speaks status updates through the page's aria-live
 * region, and `showError()` renders an API error's message and hint.
 */
import { ApiError } from "./api-client.js";

type Child = Node | string | null | undefined | false;
type Props = Record<string, string | number | boolean | EventListener | undefined | null>;

/** Creates an element; `on*` props become listeners, booleans toggle attributes, others are attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/** Replaces the children of `el`. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren(
    ...children.flat().filter((c): c is Node | string => c !== null && c !== undefined && c !== false),
  );
}

/** Says `message` in the polite live region (screen readers) and the visible status line. */
export function announce(message: string): void {
  const region = document.getElementById("status");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after clearing makes repeated messages be read again.
  window.setTimeout(() => {
    region.textContent = message;
  }, 30);
}

/** An error box: the message, the hint when there is one. role=alert reads it out at once. */
export function errorBox(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof ApiError ? error.hint : undefined;
  const code = error instanceof ApiError ? error.code : undefined;
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", {}, h("strong", {}, code === "FORBIDDEN" ? "Not allowed: " : "Error: "), message),
    hint ? h("p", { class: "hint" }, hint) : null,
  );
}

/** Element ids are derived from API names; keep them to safe characters. */
export function idFor(...parts: string[]): string {
  return parts.join("-").replace(/[^A-Za-z0-9_-]/g, "_");
}
