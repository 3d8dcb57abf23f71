// The explorers' pictures: pure functions (tables, view) -> SVG string. No DOM.
//
// The same function draws the live picture in the page (explorer.js puts the
// string into the DOM) and the static picture committed in the notebooks
// (shadowmmu.frontend.explorers.static_svg runs it under node), so the two can
// never differ. Every number comes from model.js over the tables Python sent.
// What a reader can touch is marked for the page and for tests alike:
//   data-bit="N"                 a bit of the address (click, Enter or Space flips it)
//   data-select-address="0x..."  an entry; activating it selects that address
//   data-link="k1 k2"            hovering highlights every element sharing a key:
//                                pdqQ (a guest PD quarter, its PAE PD, its pae_root slot),
//                                gpdeK (a guest PDE and its two PAE PDEs), ptqQ (a PAE PT,
//                                the PAE PDEs pointing at it, the guest PT half it shadows),
//                                gpt (the selected guest PDE, the guest PT it points at and
//                                both PAE PTs), f:FIELD (bits and the entry a field selects)
//   data-field="name"            a number the readout shows (marked when it changes)
// Colour is never alone: every coloured shape carries its words. The parts are
// bits.js, twotrees.js and readout.js; this module puts them together per explorer.
import { hex } from "./model.js";
import { arrowMarker, svgDoc, text, wrap, WIDTH } from "./svg.js";
import { ARROW } from "./marks.js";
import { bitRows } from "./bits.js";
import { readout, ruleVerdict } from "./readout.js";
import { twoTrees } from "./twotrees.js";

function svg(height, title, body) {
  return svgDoc(WIDTH, height, title, body, { defs: arrowMarker(ARROW) });
}

export const TITLES = {
  "address-anatomy": "address anatomy: the guest's cut of the 32 bits against PAE's",
  "pd-split": "one guest PD becomes four PAE PDs; one guest PDE is two PAE PDEs",
  "pt-split": "one guest PT becomes two PAE PTs: even and odd PAE PDEs, lower and upper half of the guest PT",
  "rule": "the two trees, with a quadrant rule's answer",
  "exercise": "exercise",
};

// The whole picture of one explorer. view: {va, rule?, changed?, exercise?, revealed?, hide?}
export function drawExplorer(T, kind, view) {
  const title = `${TITLES[kind]} at ${hex(T, view.va)}` + (view.rule && kind === "rule" ? `, rule ${view.rule}` : "");
  if (kind === "address-anatomy") {
    return svg(196, title, bitRows(T, view, 4) + readout(T, view, 186));
  }
  if (kind === "pd-split") {
    return svg(446, title, bitRows(T, view, 2, false) + twoTrees(T, view, 60, { pd: true, pt: false }) + readout(T, view, 436));
  }
  if (kind === "pt-split") {
    return svg(446, title, bitRows(T, view, 2, false) + twoTrees(T, view, 60, { pd: true, pt: true }) + readout(T, view, 436));
  }
  if (kind === "rule") {
    return svg(516, title, bitRows(T, view, 2, false) + twoTrees(T, view, 60) + readout(T, view, 436) + ruleVerdict(T, view, 460));
  }
  if (kind === "exercise") {
    const ex = view.exercise;
    const lines = ex ? wrap(`Exercise ${ex.number} (seed ${ex.seed}): ${ex.question}`, 125) : [];
    const head = lines.map((l, i) => text(10, 16 + 16 * i, l, { size: 12, weight: i ? "normal" : "bold" })).join("");
    const y = 8 + 16 * lines.length;
    if (!view.revealed) return svg(y + 72, title, head + bitRows(T, view, y, false));
    return svg(y + 386, title, head + twoTrees(T, view, y) + readout(T, view, y + 376));
  }
  throw new Error(`unknown explorer ${kind}`);
}
