// The readout under the address explorers' pictures, and the rule's verdict (05).
import { decompose, hex, ruleQuadrants } from "./model.js";
import { fieldColour } from "./palette.js";
import { charsIn, rect, text, wrap, WIDTH } from "./svg.js";
import { num, vaBits } from "./marks.js";

const READOUT = [
  ["pd_quadrant", "PD quadrant"], ["guest_pde_index", "guest PDE"], ["shadow_pde_index", "PAE PDE"],
  ["pt_quadrant", "PT quadrant"], ["guest_pte_index", "guest PTE"], ["shadow_pte_index", "PAE PTE"],
];

export function readout(T, view, y) {
  const d = decompose(T, view.va), q = ruleQuadrants(T, view.rule || "mainline", view.va);
  const value = { ...d, pd_quadrant: q.pd, pt_quadrant: q.pt };
  if (view.hide) value[`${view.hide}_quadrant`] = "?";  // the reader's question, not yet answered
  let o = num(view, "va", 10, y, hex(T, view.va), { size: 14, weight: "bold" });
  READOUT.forEach(([name, label], i) => {
    const x = 130 + i * 138, c = fieldColour(T, name);
    o += `<g data-link="f:${name}">` + rect(x, y - 14, 10, 18, { fill: c, stroke: "#000", rx: 1 })
      + text(x + 14, y, label + " ", { size: 12 })
      + num(view, name, x + 14 + 8 * (label.length + 1), y, value[name], { size: 13, weight: "bold" }) + "</g>";
  });
  return o;
}

export function ruleVerdict(T, view, y) {
  const r = T.rules[view.rule], d = decompose(T, view.va), q = ruleQuadrants(T, view.rule, view.va);
  const pdOk = q.pd === d.pd_quadrant, ptOk = q.pt === d.pt_quadrant;
  let o = text(10, y, `rule ${r.name}: ${r.formula}  (${r.status})`, { size: 12, weight: "bold" });
  const verdict = (ok, what, got, bitsName, want) => (ok ? `right: ${what} ${got} = ${bitsName}`
    : `WRONG: ${what} ${got}, but ${bitsName} = ${want}`);
  const bad = "#000";  // WRONG is said in words and weight; vermillion is the PD quadrant's
  const [pdF, ptF] = T.layouts.quadrant;
  o += text(10, y + 18, verdict(pdOk, "PD quadrant", q.pd, vaBits(pdF), d.pd_quadrant), { size: 12, fill: pdOk ? "#000" : bad, weight: pdOk ? "normal" : "bold" });
  o += text(480, y + 18, verdict(ptOk, "PT quadrant", q.pt, vaBits(ptF), d.pt_quadrant), { size: 12, fill: ptOk ? "#000" : bad, weight: ptOk ? "normal" : "bold" });
  if (!ptOk) {
    wrap("so this page would share a page table with the other half of its guest PT", charsIn(WIDTH - 480 - 10, 11))
      .forEach((row, i) => { o += text(480, y + 34 + 14 * i, row, { size: 11, fill: bad }); });
  }
  return o;
}

