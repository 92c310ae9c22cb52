/**
 * A confirmation before every action: a native modal <dialog> (showModal traps focus, Escape
 * cancels) naming what will happen, with an optional text field (reason or comment). Focus returns
 * to the element that opened it.
 */
import { h } from "./dom.js";

export interface ConfirmOptions {
  title: string;
  /** What will happen, in a sentence or two. */
  description: string;
  confirmLabel: string;
  /** A labelled text field (e.g. "Reason (optional)"). */
  fieldLabel?: string;
  danger?: boolean;
}

/** Resolves with the text field's value (or "") when confirmed, null when cancelled. */
export function confirmAction(options: ConfirmOptions): Promise<string | null> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const field = options.fieldLabel
    ? h("textarea", { id: "confirm-field", name: "field", rows: 2, maxlength: 500 })
    : null;
  const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
  const confirm = h(
    "button",
    { type: "submit", class: options.danger ? "danger" : "primary", value: "confirm" },
    options.confirmLabel,
  );
  const form = h(
    "form",
    { method: "dialog" },
    h("h2", { id: "confirm-title" }, options.title),
    h("p", { id: "confirm-description" }, options.description),
    field ? h("label", { for: "confirm-field" }, options.fieldLabel ?? "") : null,
    field,
    h("div", { class: "dialog-buttons" }, cancel, confirm),
  );
  const dialog = h(
    "dialog",
    { "aria-labelledby": "confirm-title", "aria-describedby": "confirm-description" },
    form,
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    cancel.addEventListener("click", () => dialog.close("cancel"));
    dialog.addEventListener("close", () => {
      const confirmed = dialog.returnValue === "confirm";
      const value = field ? field.value.trim() : "";
      dialog.remove();
      opener?.focus();
      resolve(confirmed ? value : null);
    });
    dialog.showModal();
    (field ?? cancel).focus();
  });
}
