// Notebook 05's "check this rule on every guest page": the chosen rule over all 2**20
// guest pages, in the page (tens of milliseconds), its verdict in words and data-*.
import { checkRule, hex } from "./model.js";
import { element } from "./dom.js";
import { vaBits } from "./marks.js";

export function ruleCheck(T) {
  const result = element("span", { class: "smmu-rule-result", role: "status" });
  const button = element("button", { type: "button", class: "smmu-check-all", text: "check this rule on every guest page" });
  const box = element("div", { class: "smmu-rule-check" }, [button, " ", result]);
  const [pdF, ptF] = T.layouts.quadrant;
  return {
    box, button,
    run(rule) {
      const r = checkRule(T, rule);
      Object.assign(result.dataset, { rule, pages: r.pages, wrongPd: r.wrongPd, wrongPt: r.wrongPt,
        first: r.first ? hex(T, r.first.va) : "" });
      if (!r.first) {
        result.textContent = `${rule}: right on all ${r.pages} pages (PD quadrant = ${vaBits(pdF)}, PT quadrant = ${vaBits(ptF)})`;
        return;
      }
      const what = r.first.level === "pd" ? `PD quadrant (${vaBits(pdF)})` : `PT quadrant (${vaBits(ptF)})`;
      result.textContent = `${rule}: WRONG on ${r.wrongPd} pages' PD quadrant and ${r.wrongPt} pages' PT quadrant `
        + `of ${r.pages}; first ${hex(T, r.first.va)}: ${what} should be ${r.first.expected}, rule gives ${r.first.got}`;
    },
    // a verdict about another rule would mislead: forget it
    shown(rule) {
      if (result.dataset.rule && result.dataset.rule !== rule) {
        result.textContent = "";
        for (const k of Object.keys(result.dataset)) delete result.dataset[k];
      }
    },
  };
}
