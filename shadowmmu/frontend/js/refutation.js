// Notebook 04's refutation: one PAE page directory read two ways, the bits' way and the
// "halves" misconception's, around the PAE PDE an address goes through. A pure function
// (tables, view) -> SVG string, no DOM: shadowmmu.frontend.figures.refutation() runs it
// under node for the notebook's static picture, and a page can call it as it is.
// Every quadrant is looked up in the rule tables (model.js), never computed here.
// Marked for tests: data-reading="mainline|halves" on each row, data-spde and
// data-quadrant on each entry, data-agree on the verdict.
import { decompose, hex, ruleQuadrants, withField } from "./model.js";
import { WIDTH, esc, rect as box, svgDoc, text } from "./svg.js";

const REF_LABEL_W = 150, REF_CELLS = 16, REF_CELL_W = 48, REF_CELL_H = 40;

// The PAE PDE `i` of the page directory `q`, as the address of the first byte it maps.
function refVa(T, q, i) {
  return withField(T, withField(T, 0, "pdpte_index", q), "shadow_pde_index", i);
}

function refRow(T, rule, title, d, start, y) {
  const qt = T.colours.field_colours.pt_quadrant, qtInk = T.colours.ink[qt] || "#000";
  let o = `<g data-reading="${esc(rule)}">` + text(0, y + 16, title, { size: 12, weight: "bold" })
    + text(0, y + 32, T.rules[rule].formula, { size: 11 });
  for (let n = 0; n < REF_CELLS; n++) {
    const i = start + n, x = REF_LABEL_W + n * REF_CELL_W;
    const q = ruleQuadrants(T, rule, refVa(T, d.pdpte_index, i)).pt, here = i === d.shadow_pde_index;
    const fill = q ? qt : "#fff", ink = q ? qtInk : "#000";
    o += `<g data-spde="${i}" data-quadrant="${q}"${here ? ' data-selected="1"' : ""}>`
      + box(x + 1, y, REF_CELL_W - 2, REF_CELL_H, { fill, sw: here ? 3 : 1 })
      + text(x + REF_CELL_W / 2, y + 16, `PDE ${i}`, { size: 10, anchor: "middle", fill: ink })
      + text(x + REF_CELL_W / 2, y + 32, `q${q}`, { size: 12, anchor: "middle", fill: ink, weight: here ? "bold" : "normal" })
      + "</g>";
  }
  return o + "</g>";
}

export function drawRefutation(T, view) {
  const d = decompose(T, view.va), va = hex(T, view.va);
  const right = ruleQuadrants(T, "mainline", view.va).pt, wrong = ruleQuadrants(T, "halves", view.va).pt;
  const i = d.shadow_pde_index, even = i - (i % 2);
  const start = Math.min(Math.max(even - 6, 0), 512 - REF_CELLS);
  const agree = right === wrong;
  let o = text(0, 16, `${va}: bit 21 = ${d.pt_quadrant}, so its page table is PT quadrant ${right}`
    + ` (mainline: ${T.rules.mainline.formula} of PAE PDE ${i}).`, { size: 13, weight: "bold" });
  o += text(0, 38, `PAE PDEs ${start}-${start + REF_CELLS - 1} of pae_root[${d.pdpte_index}]'s page directory,`
    + ` each one's PT quadrant read two ways (PAE PDE ${i} framed):`, { size: 12 });
  o += refRow(T, "mainline", "the bits (mainline)", d, start, 50);
  o += refRow(T, "halves", "halves (WRONG)", d, start, 100);
  // The whole page directory as the halves reading sees it, the framed PDE marked on it.
  const barW = REF_CELLS * REF_CELL_W, y = 162, x = REF_LABEL_W + (i + 0.5) * barW / 512;
  o += text(0, y + 15, "the whole PD, halves", { size: 11 });
  o += box(REF_LABEL_W + 1, y, barW / 2 - 1, 22, { fill: "#fff" })
    + box(REF_LABEL_W + barW / 2, y, barW / 2 - 1, 22, { fill: T.colours.field_colours.pt_quadrant })
    + text(REF_LABEL_W + barW / 4, y + 15, "PAE PDEs 0-255: q0", { size: 11, anchor: "middle" })
    + text(REF_LABEL_W + 3 * barW / 4, y + 15, "PAE PDEs 256-511: q1", { size: 11, anchor: "middle" })
    + `<path d="M${x} ${y + 24} l-6 10 h12 z" fill="#000"/>`
    + text(x, y + 48, `PDE ${i}`, { size: 11, anchor: x > REF_LABEL_W + barW - 40 ? "end" : "middle" });
  const side = i < 256 ? "below" : "at or above";
  const verdict = [`The halves reading sees PAE PDE ${i} ${side} 256 and says quadrant ${wrong}`
    + (agree ? ": the same answer here, by luck." : ": WRONG."),
  agree ? "Try 0x00200000, where the two readings part." : "The two readings disagree, and the bits side with the interleave."];
  o += `<g data-agree="${agree}">` + verdict.map((s, n) => text(0, y + 72 + 16 * n, s,
    { size: 12, weight: agree || n ? "normal" : "bold" })).join("") + "</g>";
  const height = y + 98;
  const title = `${va}: the PT quadrant by the bits and by the halves reading`;
  return svgDoc(WIDTH, height, title, o, { cls: "smmu-svg smmu-refutation" });
}
