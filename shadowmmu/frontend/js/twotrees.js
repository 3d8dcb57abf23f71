// The two trees of the address explorers (03, 04, 05, 09): the guest's CR3 -> PD -> PT
// beside pae_root[4] -> four PAE PDs -> two PAE PTs, computed from the tables (model.js),
// with a zoom into the selected guest PDE and its two PAE PDEs. Pure: no DOM.
//
// Layout (DESIGN.md): the guest's row on top, KVM's PAE page directories under the
// quarters they shadow (dashed "shadows" arrows straight up, crossing nothing), and the
// zoom in a frame hanging from the one PAE PD it magnifies (two funnel lines from that PD's
// bottom corners), so nothing runs through it. The PAE page tables sit right of the zoom;
// the walk reaches them along elbow routes below the frame, and reaches the PAE PD from
// pae_root along a channel between the PDs and the frame: no arrow crosses a box or a label
// it does not connect. Strokes: marks.js STROKE (walk, shadows, other).
import { decompose, hex, ruleQuadrants, withField } from "./model.js";
import { fieldColour, inkOn } from "./palette.js";
import { rect, text } from "./svg.js";
import { arrowTo, hit, num, routeTo, STROKE } from "./marks.js";

function pairOf(T, va, k) {
  const a = withField(T, va, "guest_pde_index", k);
  return [0, 1].map((h) => decompose(T, withField(T, a, "pt_quadrant", h)).shadow_pde_index);
}

function clampStart(i, first, last, n) {
  return Math.max(first, Math.min(i - 1, last - n + 1));
}

// The guest's CR3 -> PD -> PT beside pae_root[4] -> four PAE PDs -> two PAE PTs.
// opts.rule: the quadrants come from that rule's tables (a wrong rule shows).
// view.hide ("pd" or "pt"): that quadrant is the reader's question, so nothing says it:
// no highlighted quarter, page directory or table, no arrow to it, no "->q" label.
export function twoTrees(T, view, y0, { pd = true, pt = true } = {}) {
  const va = view.va, d = decompose(T, va), S = T.shadow, rule = view.rule || "mainline";
  const q = ruleQuadrants(T, rule, va);
  const hidePd = view.hide === "pd", hidePt = view.hide === "pt";
  const sel = (a) => hex(T, a);
  const cPD = fieldColour(T, "pd_quadrant"), cG = fieldColour(T, "guest_pde_index"), cS = fieldColour(T, "shadow_pde_index");
  const cT = fieldColour(T, "pt_quadrant"), cGT = fieldColour(T, "guest_pte_index"), cST = fieldColour(T, "shadow_pte_index");
  const X = 120, QW = 100, PTX = 560, HW = 195;
  const yG = y0 + 38, yS = y0 + 140, yZ = yS + 60, yPT = yZ + 46, FRAME_H = 98;
  const bytes = (lo, hi) => `0x${lo.toString(16).toUpperCase().padStart(3, "0")}-0x${hi.toString(16).toUpperCase()}`;
  let o = text(10, y0 + 12, `the guest's tables (${S.gpte_size}-byte entries)`, { size: 12, weight: "bold" })
    + text(10, yS - 36, "KVM's PAE shadow", { size: 12, weight: "bold" })
    + text(10, yS - 22, `(${S.spte_size}-byte entries)`, { size: 12, weight: "bold" });
  // guest CR3 and PD
  o += rect(10, yG, 90, 40) + text(55, yG + 17, "guest CR3", { anchor: "middle" })
    + text(55, yG + 33, "-> guest PD", { size: 11, anchor: "middle" });
  o += arrowTo(100, yG + 20, X - 2, yG + 20, STROKE.walk("#000", 0));
  const k = d.guest_pde_index, j = d.shadow_pde_index;
  for (const part of S.pd) {
    const x = X + part.quadrant * QW, mine = !hidePd && part.quadrant === d.pd_quadrant;
    o += hit(`data-select-address="${sel(withField(T, va, "pdpte_index", part.quadrant))}" data-link="pdq${part.quadrant}" data-focus="gpd:${part.quadrant}"`,
      `guest PDEs ${part.first} to ${part.last}, shadowed by PAE PD quadrant ${part.quadrant}`,
      rect(x, yG, QW - 2, 40, { fill: mine ? "#fff" : "#f2f2f2", stroke: mine ? cPD : "#000", sw: mine ? 3 : 1 })
      + text(x + 4, yG + 15, `PDEs ${part.first}-${part.last}`, { size: 11 })
      + text(x + 4, yG + 32, bytes(part.byte_lo, part.byte_hi), { size: 11 }));
  }
  o += text(X, yG - 6, `guest PD: ${S.guest_entries} PDEs, one ${S.page} page`, { size: 11 });
  // the selected guest PDE, drawn in its quarter
  const qx = X + d.pd_quadrant * QW + ((k - S.pd[d.pd_quadrant].first) / (S.pd[0].last - S.pd[0].first + 1)) * (QW - 2);
  if (!hidePd) o += `<line x1="${qx}" y1="${yG + 34}" x2="${qx}" y2="${yG + 46}" stroke="${cG}" stroke-width="4" data-link="f:guest_pde_index"/>`;
  // guest PT halves
  if (pt) {
    o += text(PTX, yG - 6, `guest PT: ${S.guest_entries} PTEs, one ${S.page} page`, { size: 11 });
    o += routeTo([[qx, yG + 46], [qx, yG + 52], [PTX - 10, yG + 52], [PTX - 10, yG + 20], [PTX - 2, yG + 20]],
      { ...STROKE.walk(cG, 1), link: "f:guest_pde_index" })
      + num(view, "guest_pde_index", PTX + HW / 2 + 8, yG + 56, `guest PDE ${k} points here`, { size: 11 });
    for (const part of S.pt) {
      const x = PTX + part.quadrant * HW, mine = !hidePt && part.quadrant === d.pt_quadrant;
      o += hit(`data-select-address="${sel(withField(T, va, "pt_quadrant", part.quadrant))}" data-link="ptq${part.quadrant} gpt" data-focus="gpt:${part.quadrant}"`,
        `guest PTEs ${part.first} to ${part.last} of this guest PT (${part.quadrant ? "upper" : "lower"} ${part.size})`,
        rect(x, yG, HW - 4, 40, { fill: mine ? "#fff" : "#f2f2f2", stroke: mine ? cT : "#000", sw: mine ? 3 : 1 })
        + text(x + 4, yG + 15, `${part.quadrant ? "upper" : "lower"} ${part.size}: PTEs ${part.first}-${part.last}`, { size: 11 })
        + text(x + 4, yG + 32, `bytes ${bytes(part.byte_lo, part.byte_hi)}`, { size: 11 }));
    }
    const tp = S.pt[d.pt_quadrant], tx = PTX + tp.quadrant * HW + ((d.guest_pte_index - tp.first) / (tp.last - tp.first + 1)) * (HW - 4);
    if (!hidePt) o += `<line x1="${tx}" y1="${yG + 34}" x2="${tx}" y2="${yG + 46}" stroke="${cGT}" stroke-width="4" data-link="f:guest_pte_index"/>`;
  }
  // pae_root[4]
  o += text(10, yS + 2, "pae_root[4]", { size: 12 });
  for (let i = 0; i < S.nr_pae_roots; i++) {
    const y = yS + 8 + i * 24, a = withField(T, va, "pdpte_index", i);
    const qi = ruleQuadrants(T, rule, a).pd, mine = !hidePd && i === d.pdpte_index;
    o += hit(`data-select-address="${sel(a)}" data-link="pdq${qi}${mine ? " f:pdpte_index" : ""}" data-focus="root:${i}"`,
      `pae_root[${i}]: PAE PD with role.quadrant ${qi}`,
      rect(10, y, 90, 20, { fill: mine ? cPD : "#fff", stroke: "#000" })
      + text(14, y + 14, `[${i}] -> PD q${qi}`, { size: 11, fill: mine ? inkOn(T, cPD) : "#000" }));
  }
  // four PAE PDs, each under the quarter it shadows
  for (const part of S.pd) {
    const x = X + part.quadrant * QW, mine = !hidePd && part.quadrant === q.pd;
    o += hit(`data-select-address="${sel(withField(T, va, "pdpte_index", part.quadrant))}" data-link="pdq${part.quadrant} f:pd_quadrant" data-focus="spd:${part.quadrant}"`,
      `PAE PD role.quadrant ${part.quadrant}: ${S.shadow_entries} PDEs shadowing guest PDEs ${part.first} to ${part.last}`,
      rect(x, yS, QW - 2, 44, { fill: mine ? "#fff" : "#f2f2f2", stroke: mine ? cPD : "#000", sw: mine ? 3 : 1 })
      + text(x + 4, yS + 15, `PAE PD q${part.quadrant}`, { size: 12, weight: mine ? "bold" : "normal" })
      + text(x + 4, yS + 31, `${S.shadow_entries} PDEs`, { size: 11 }));
    o += arrowTo(x + QW / 2, yS, x + QW / 2, yG + 42, { ...STROKE.shadows, link: `pdq${part.quadrant}` });
  }
  // the walk from pae_root[i] to its PAE PD: along the channel under the PDs, up into it
  const rootY = yS + 8 + d.pdpte_index * 24 + 10, zx = X + q.pd * QW;
  if (!hidePd) {
    o += routeTo([[100, rootY], [110, rootY], [110, yS + 52], [zx + QW / 2, yS + 52], [zx + QW / 2, yS + 46]],
      { ...STROKE.walk(cPD, 1), link: "f:pdpte_index" });
  }
  const qs = (parts) => parts.map((p) => p.quadrant).join(parts.length > 2 ? ", " : "/");
  const yC = yZ + FRAME_H + 26;
  o += text(X, yC, `Arrows: solid and thick, the walk of this address; dashed, "shadows"; dotted, other links.`, { size: 11 })
    + text(X, yC + 14, `All ${S.pd.length} PAE PDs shadow the one guest PD page (same gfn, role.quadrant ${qs(S.pd)});`, { size: 11 })
    + text(X, yC + 28, pt ? `both PAE PTs shadow the one guest PT page (role.quadrant ${qs(S.pt)}).`
      : "each guest PDE is a pair of PAE PDEs, even and odd (->q0, ->q1: the quadrant of the PAE PT each points at).", { size: 11 });
  // the zoom: four guest PDEs and their eight PAE PDEs, in a frame hanging from the PD it magnifies
  if (pd) {
    const part = S.pd[d.pd_quadrant], k0 = clampStart(k, part.first, part.last, 4), cw = (4 * QW - 2) / 8;
    const fx0 = X - 6, fx1 = X + 4 * QW + 4;
    // the magnifier: the PD's bottom edge opens onto the frame's top edge
    if (!hidePd) o += `<path class="smmu-funnel" d="M${zx},${yS + 44} L${fx0},${yZ} L${fx1},${yZ} L${zx + QW - 2},${yS + 44} Z" fill="${cPD}" fill-opacity="0.12" stroke="${cPD}" stroke-width="1"/>`;
    o += rect(fx0, yZ, fx1 - fx0, FRAME_H, { fill: "#fff", stroke: hidePd ? "#000" : cPD, sw: hidePd ? 1 : 2, extra: ' class="smmu-zoom"' });
    o += text(X, yZ + 14, hidePd ? "zoom around this guest PDE (which PAE PD? answer first):"
      : `zoom into guest PD quarter ${part.quadrant} and PAE PD q${d.pd_quadrant}:`, { size: 11 });
    const yE = yZ + 22, yP = yZ + 52;
    for (let kk = k0; kk < k0 + 4; kk++) {
      const x = X + (kk - k0) * 2 * cw, mine = kk === k, pair = pairOf(T, va, kk);
      o += hit(`data-select-address="${sel(withField(T, va, "guest_pde_index", kk))}" data-link="gpde${kk}${mine ? " f:guest_pde_index gpt" : ""}" data-focus="gpde:${kk - k}"`,
        `guest PDE ${kk}, shadowed by PAE PDEs ${pair[0]} and ${pair[1]}`,
        rect(x, yE, 2 * cw - 2, 24, { fill: mine ? cG : "#fff", stroke: cG, sw: 2 })
        + (mine ? num(view, "guest_pde_index", x + cw, yE + 16, `guest PDE ${kk}`, { size: 11, anchor: "middle", fill: inkOn(T, cG) })
          : text(x + cw, yE + 16, `guest PDE ${kk}`, { size: 11, anchor: "middle" })));
      pair.forEach((i, h) => {
        const px = x + h * cw, me = i === j, a = withField(T, withField(T, va, "guest_pde_index", kk), "pt_quadrant", h);
        const pq = ruleQuadrants(T, rule, a).pt;
        o += hit(`data-select-address="${sel(a)}" data-link="gpde${kk}${hidePt ? "" : ` ptq${pq}`}${me ? " f:shadow_pde_index" : ""}" data-focus="spde:${kk - k}:${h}"`,
          hidePt ? `PAE PDE ${i} (${h ? "odd" : "even"})` : `PAE PDE ${i} (${h ? "odd" : "even"}) points at PAE PT quadrant ${pq}`,
          rect(px, yP, cw - 2, 40, { fill: me ? cS : "#fff", stroke: cS, sw: 2 })
          + (me ? num(view, "shadow_pde_index", px + cw / 2 - 1, yP + 14, i, { size: 12, anchor: "middle", fill: inkOn(T, cS) })
            : text(px + cw / 2 - 1, yP + 14, i, { size: 12, anchor: "middle" }))
          + text(px + cw / 2 - 1, yP + 27, h ? "odd" : "even", { size: 11, anchor: "middle", fill: me ? inkOn(T, cS) : "#000" })
          + text(px + cw / 2 - 1, yP + 38, hidePt ? "->?" : `->q${pq}`, { size: 11, anchor: "middle", fill: me ? inkOn(T, cS) : "#000" }));
      });
    }
    if (pt && !hidePt) {
      // the even and the odd PAE PDE of the pair to the quadrant-0 and quadrant-1 PTs, along
      // routes under the frame: the one this address walks, and the other link
      const kx = X + (k - k0) * 2 * cw;
      [0, 1].forEach((h) => {
        const a = withField(T, va, "pt_quadrant", h), pq = ruleQuadrants(T, rule, a).pt;
        const me = h === d.pt_quadrant, sx = kx + h * cw + cw / 2 - 1, tx = PTX + pq * HW + 40 + h * 50;
        const cy = yZ + FRAME_H + 6 + h * 6;
        o += routeTo([[sx, yP + 40], [sx, cy], [tx, cy], [tx, yPT + 48]],
          { ...(me ? STROKE.walk(cT, 2) : STROKE.other), link: `ptq${pq}` });
      });
    }
  }
  if (pt) {
    for (const part of S.pt) {
      const x = PTX + part.quadrant * HW, mine = !hidePt && part.quadrant === q.pt;
      const s = d.shadow_pte_index, s0 = clampStart(s, 0, S.shadow_entries - 1, 4), cw = (HW - 12) / 4;
      let cells = "";
      for (let ss = s0; ss < s0 + 4; ss++) {
        const a = withField(T, withField(T, va, "pt_quadrant", part.quadrant), "shadow_pte_index", ss);
        const me = mine && ss === s;
        cells += hit(`data-select-address="${sel(a)}" data-link="ptq${part.quadrant}${me ? " f:shadow_pte_index" : ""}" data-focus="spte:${part.quadrant}:${ss - s}"`,
          `PAE PTE ${ss} of PAE PT quadrant ${part.quadrant}`,
          rect(x + 4 + (ss - s0) * cw, yPT + 22, cw - 3, 20, { fill: me ? cST : "#fff", stroke: cST, sw: 1.5 })
          + (me ? num(view, "shadow_pte_index", x + 4 + (ss - s0) * cw + cw / 2, yPT + 36, ss, { size: 12, anchor: "middle", fill: inkOn(T, cST) })
            : text(x + 4 + (ss - s0) * cw + cw / 2, yPT + 36, ss, { size: 12, anchor: "middle" })));
      }
      o += `<g data-link="ptq${part.quadrant} gpt${mine ? " f:pt_quadrant" : ""}">`
        + rect(x, yPT, HW - 4, 46, { fill: mine ? "#fff" : "#f2f2f2", stroke: mine ? cT : "#000", sw: mine ? 3 : 1 })
        + text(x + 4, yPT + 15, `PAE PT q${part.quadrant}: ${S.shadow_entries} PTEs, e.g.`, { size: 12, weight: mine ? "bold" : "normal" }) + "</g>" + cells;
      o += arrowTo(x + HW / 2, yPT, x + HW / 2, yG + 42, { ...STROKE.shadows, link: `ptq${part.quadrant}` });
    }
  }
  return o;
}
