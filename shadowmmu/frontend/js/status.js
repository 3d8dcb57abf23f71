// The controls-and-status strip: one behaviour for every explorer's messages.
//
//   error   (role=alert) a refused input or the kernel's error: shown until the next
//           good answer; the picture and its data-* stay as they were
//   status  (role=status) "computing", "needs-kernel", "no-answer": the words of
//           sim.js's onStatus; empty otherwise
// The root's data-status names the kind ("" when all is well).
import { element } from "./dom.js";

export function statusStrip(root) {
  const error = element("div", { class: "smmu-error", role: "alert", hidden: true });
  const status = element("div", { class: "smmu-status", role: "status" });
  return {
    error, status,
    // an input the page refused (nothing was asked)
    refuse(message) {
      error.textContent = message;
      error.hidden = !message;
    },
    // simHost's onStatus(kind, text)
    set(kind, text) {
      root.dataset.status = kind;
      if (kind === "error") {
        error.textContent = text;
        error.hidden = false;
        status.textContent = "";
      } else {
        status.textContent = text;
        if (kind) error.hidden = true;
      }
    },
    clear() {
      error.hidden = true;
      error.textContent = "";
    },
  };
}
