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
// Colour is never alone: every coloured shape carries its words.
import { bits, decompose, hex, ruleQuadrants, withField } from "./model.js";

const FONT = "ui-monospace,SFMono-Regular,Menlo,Consolas,monospace";
export const WIDTH = 960;

export function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function colour(T, name) {
  const c = T.colours.field_colours[name];
  if (!c) throw new Error(`no palette colour for ${name}`);
  return c;
}

function ink(T, c) {
  return T.colours.ink[c] || "#000";
}

export function text(x, y, s, { size = 12, anchor = "start", weight = "normal", fill = "#000", extra = "" } = {}) {
  return `<text x="${x}" y="${y}" font-size="${size}" text-anchor="${anchor}" font-weight="${weight}" fill="${fill}"${extra}>${esc(s)}</text>`;
}

// A number the readout publishes: data-field names it; marked if it just changed.
function num(view, name, x, y, s, opts = {}) {
  const changed = view.changed && view.changed.includes(name);
  const extra = ` data-field="${name}"` + (changed ? ' class="smmu-changed" text-decoration="underline"' : "");
  return text(x, y, s, { ...opts, weight: changed ? "bold" : opts.weight || "normal", extra });
}

// A touchable box: an entry (select) or a bit; keyboard focusable, with its own words.
function hit(attrs, label, body) {
  return `<g class="smmu-hit" tabindex="0" role="button" aria-label="${esc(label)}" ${attrs}>${body}</g>`;
}

export function box(x, y, w, h, { fill = "#fff", stroke = "#000", sw = 1, dash = "", rx = 2 } = {}) {
  const d = dash ? ` stroke-dasharray="${dash}"` : "";
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${rx}" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"${d}/>`;
}

function arrow(x1, y1, x2, y2, { stroke = "#000", sw = 1.5, dash = "", link = "" } = {}) {
  const d = dash ? ` stroke-dasharray="${dash}"` : "";
  const l = link ? ` data-link="${link}"` : "";
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${stroke}" stroke-width="${sw}"${d}${l} marker-end="url(#smmu-arrow)"/>`;
}

function svg(height, title, body) {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="smmu-svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${esc(title)}" font-family="${FONT}" style="max-width:100%;height:auto;background:#fff">`
    + `<defs><marker id="smmu-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#000"/></marker></defs>`
    + `<title>${esc(title)}</title>` + body + "</svg>";
}

// "VA bit 21" or "VA bits 31:30", from a field record.
export function vaBits(f) {
  return f.hi === f.lo ? `VA bit ${f.hi}` : `VA bits ${f.hi}:${f.lo}`;
}

// "10/10/12": the widths of a layout's fields.
function widths(layout) {
  return layout.map((f) => f.hi - f.lo + 1).join("/");
}

// Fields (of every layout) that contain bit n: the hover keys of that bit.
function fieldsOfBit(T, n) {
  const names = new Set();
  for (const layout of Object.values(T.layouts)) {
    for (const f of layout) if (f.lo <= n && n <= f.hi) names.add(f.name);
  }
  for (const g of T.bit_groups) if (g.lo <= n && n <= g.hi) names.add(g.name);
  return [...names];
}

// ---------------------------------------------------------------- the bits

// The 32 bits, coloured by the job they do, then the guest's and PAE's cuts.
function bitRows(T, view, y0, withFields = true) {
  const va = view.va, top = T.parser.va_bits - 1, cw = 26, x0 = 116;
  const xOf = (n) => x0 + (top - n) * cw;
  let out = text(10, y0 + 24, "bit", { size: 11 }) + text(10, y0 + 44, "value", { size: 11 });
  for (const g of T.bit_groups) {
    const x = (xOf(g.hi) + xOf(g.lo) + cw - 2) / 2, w = (g.hi - g.lo + 1) * cw;
    const label = w >= 9 * (g.label.length + 6) ? `${g.label} ${g.hi}:${g.lo}` : g.hi === g.lo ? `${g.hi}` : `${g.hi}:${g.lo}`;
    out += `<g data-link="f:${g.name}">` + `<line x1="${xOf(g.hi) + 1}" y1="${y0 + 12}" x2="${xOf(g.lo) + cw - 3}" y2="${y0 + 12}" stroke="${colour(T, g.name)}" stroke-width="4"/>`
      + text(x, y0 + 9, g.name === "pt_quadrant" ? "PT q" : label, { size: 11, anchor: "middle" }) + "</g>";
  }
  y0 += 12;
  for (let n = top; n >= 0; n--) {
    const g = T.bit_groups.find((f) => f.lo <= n && n <= f.hi);
    const c = colour(T, g.name), b = bits(va, n, n);
    const links = fieldsOfBit(T, n).map((f) => "f:" + f).join(" ");
    out += hit(`data-bit="${n}" data-link="${links}" data-focus="bit:${n}"`,
      `bit ${n} = ${b} (${g.label}); activate to flip`,
      box(xOf(n), y0 + 16, cw - 2, 28, { fill: c, stroke: "#000" })
      + text(xOf(n) + 13, y0 + 12, n, { size: 11, anchor: "middle" })
      + text(xOf(n) + 13, y0 + 35, b, { size: 15, anchor: "middle", weight: "bold", fill: ink(T, c) }));
  }
  if (!withFields) return out;
  const rows = [["guest", T.layouts["guest-4k"]], ["PAE", T.layouts["pae-4k"]]].map(([who, l]) => [`${who} ${widths(l)}`, l]);
  const d = decompose(T, va);
  rows.forEach(([title, layout], r) => {
    const y = y0 + 54 + r * 40;
    for (const f of layout) {
      const x = xOf(f.hi), w = (f.hi - f.lo + 1) * cw - 2;
      const value = f.name === "page_offset" ? "0x" + d[f.name].toString(16).toUpperCase().padStart(3, "0") : d[f.name];
      out += `<g data-link="f:${f.name}">` + box(x, y, w, 32, { fill: "#fff", stroke: colour(T, f.name), sw: 3 })
        + text(x + 4, y + 13, w > 70 ? `${f.label} ${f.hi}:${f.lo}` : f.label, { size: 11 })
        + num(view, f.name, x + 4, y + 28, value, { size: 13, weight: "bold" }) + "</g>";
    }
    out += text(10, y + 20, title, { size: 11 });
  });
  return out;
}

// ---------------------------------------------------------------- the two trees

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
function twoTrees(T, view, y0, { pd = true, pt = true } = {}) {
  const va = view.va, d = decompose(T, va), S = T.shadow, rule = view.rule || "mainline";
  const q = ruleQuadrants(T, rule, va);
  const hidePd = view.hide === "pd", hidePt = view.hide === "pt";
  const sel = (a) => hex(T, a);
  const grey = "#000";  // structure is black: palette colours belong to fields only
  const cPD = colour(T, "pd_quadrant"), cG = colour(T, "guest_pde_index"), cS = colour(T, "shadow_pde_index");
  const cT = colour(T, "pt_quadrant"), cGT = colour(T, "guest_pte_index"), cST = colour(T, "shadow_pte_index");
  const X = 120, QW = 100, PTX = 560, HW = 195;
  const yG = y0 + 38, yZ = y0 + 112, yS = y0 + 232;
  let o = text(10, y0 + 12, `the guest's tables (${S.gpte_size}-byte entries)`, { size: 12, weight: "bold" })
    + text(10, yS - 36, "KVM's PAE shadow", { size: 12, weight: "bold" })
    + text(10, yS - 22, `(${S.spte_size}-byte entries)`, { size: 12, weight: "bold" });
  // guest CR3 and PD
  o += box(10, yG, 90, 40) + text(55, yG + 17, "guest CR3", { anchor: "middle" })
    + text(55, yG + 33, "-> guest PD", { size: 11, anchor: "middle" });
  o += arrow(100, yG + 20, X - 2, yG + 20);
  const k = d.guest_pde_index, j = d.shadow_pde_index;
  for (const part of S.pd) {
    const x = X + part.quadrant * QW, mine = !hidePd && part.quadrant === d.pd_quadrant;
    o += hit(`data-select-address="${sel(withField(T, va, "pdpte_index", part.quadrant))}" data-link="pdq${part.quadrant}" data-focus="gpd:${part.quadrant}"`,
      `guest PDEs ${part.first} to ${part.last}, shadowed by PAE PD quadrant ${part.quadrant}`,
      box(x, yG, QW - 2, 40, { fill: mine ? "#fff" : "#f2f2f2", stroke: mine ? cPD : "#000", sw: mine ? 3 : 1 })
      + text(x + 4, yG + 15, `PDEs ${part.first}-${part.last}`, { size: 11 })
      + text(x + 4, yG + 32, `0x${part.byte_lo.toString(16).toUpperCase().padStart(3, "0")}-0x${part.byte_hi.toString(16).toUpperCase()}`, { size: 11 }));
  }
  o += text(X, yG - 6, `guest PD: ${S.guest_entries} PDEs, one ${S.page} page`, { size: 11 });
  // the selected guest PDE, drawn in its quarter
  const qx = X + d.pd_quadrant * QW + ((k - S.pd[d.pd_quadrant].first) / (S.pd[0].last - S.pd[0].first + 1)) * (QW - 2);
  if (!hidePd) o += `<line x1="${qx}" y1="${yG + 34}" x2="${qx}" y2="${yG + 46}" stroke="${cG}" stroke-width="4" data-link="f:guest_pde_index"/>`;
  // guest PT halves
  if (pt) {
    o += text(PTX, yG - 6, `guest PT: ${S.guest_entries} PTEs, one ${S.page} page`, { size: 11 });
    o += arrow(qx, yG + 40, PTX - 4, yG + 36, { stroke: cG, link: "f:guest_pde_index" })
      + num(view, "guest_pde_index", PTX, yG + 56, `guest PDE ${k} points at this guest PT`, { size: 11 });
    for (const part of S.pt) {
      const x = PTX + part.quadrant * HW, mine = !hidePt && part.quadrant === d.pt_quadrant;
      o += hit(`data-select-address="${sel(withField(T, va, "pt_quadrant", part.quadrant))}" data-link="ptq${part.quadrant} gpt" data-focus="gpt:${part.quadrant}"`,
        `guest PTEs ${part.first} to ${part.last} of this guest PT (${part.quadrant ? "upper" : "lower"} ${part.size})`,
        box(x, yG, HW - 4, 40, { fill: mine ? "#fff" : "#f2f2f2", stroke: mine ? cT : "#000", sw: mine ? 3 : 1 })
        + text(x + 4, yG + 15, `${part.quadrant ? "upper" : "lower"} ${part.size}: PTEs ${part.first}-${part.last}`, { size: 11 })
        + text(x + 4, yG + 32, `bytes 0x${part.byte_lo.toString(16).toUpperCase().padStart(3, "0")}-0x${part.byte_hi.toString(16).toUpperCase()}`, { size: 11 }));
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
      box(10, y, 90, 20, { fill: mine ? cPD : "#fff", stroke: "#000" })
      + text(14, y + 14, `[${i}] -> PD q${qi}`, { size: 11, fill: mine ? ink(T, cPD) : "#000" }));
  }
  // four PAE PDs, each under the quarter it shadows
  for (const part of S.pd) {
    const x = X + part.quadrant * QW, mine = !hidePd && part.quadrant === q.pd;
    o += hit(`data-select-address="${sel(withField(T, va, "pdpte_index", part.quadrant))}" data-link="pdq${part.quadrant} f:pd_quadrant" data-focus="spd:${part.quadrant}"`,
      `PAE PD role.quadrant ${part.quadrant}: ${S.shadow_entries} PDEs shadowing guest PDEs ${part.first} to ${part.last}`,
      box(x, yS, QW - 2, 44, { fill: mine ? "#fff" : "#f2f2f2", stroke: mine ? cPD : "#000", sw: mine ? 3 : 1 })
      + text(x + 4, yS + 15, `PAE PD q${part.quadrant}`, { size: 12, weight: mine ? "bold" : "normal" })
      + text(x + 4, yS + 31, `${S.shadow_entries} PDEs`, { size: 11 }));
    o += arrow(x + QW / 2, yS, x + QW / 2, yG + 42, { dash: "4 3", stroke: grey, link: `pdq${part.quadrant}` });
  }
  const rootY = yS + 8 + d.pdpte_index * 24 + 10;
  if (!hidePd) o += arrow(100, rootY, X + q.pd * QW + 2, yS + 22, { stroke: cPD, link: "f:pdpte_index" });
  const qs = (parts) => parts.map((p) => p.quadrant).join(parts.length > 2 ? ", " : "/");
  o += text(X, yS + 100, `dashed arrows: "shadows". All ${S.pd.length} PAE PDs shadow the one guest PD page (same gfn, role.quadrant ${qs(S.pd)});`, { size: 11 })
    + text(X, yS + 114, pt ? `both PAE PTs shadow the one guest PT page (role.quadrant ${qs(S.pt)}). Solid arrows: the walk of this address.`
      : "each guest PDE is a pair of PAE PDEs, even and odd (->q0, ->q1: the quadrant of the PAE PT each points at).", { size: 11 });
  // zoom window: four guest PDEs and their eight PAE PDEs
  if (pd) {
    const part = S.pd[d.pd_quadrant], k0 = clampStart(k, part.first, part.last, 4), cw = (4 * QW - 2) / 8;
    o += text(X, yZ - 6, hidePd ? "zoom around the selected guest PDE (which PAE PD? answer above first):"
      : `zoom into guest PD quarter ${part.quadrant} and PAE PD q${d.pd_quadrant}:`, { size: 11 });
    for (let kk = k0; kk < k0 + 4; kk++) {
      const x = X + (kk - k0) * 2 * cw, mine = kk === k, pair = pairOf(T, va, kk);
      o += hit(`data-select-address="${sel(withField(T, va, "guest_pde_index", kk))}" data-link="gpde${kk}${mine ? " f:guest_pde_index gpt" : ""}" data-focus="gpde:${kk - k}"`,
        `guest PDE ${kk}, shadowed by PAE PDEs ${pair[0]} and ${pair[1]}`,
        box(x, yZ, 2 * cw - 2, 24, { fill: mine ? cG : "#fff", stroke: cG, sw: 2 })
        + (mine ? num(view, "guest_pde_index", x + cw, yZ + 16, `guest PDE ${kk}`, { size: 11, anchor: "middle", fill: ink(T, cG) })
          : text(x + cw, yZ + 16, `guest PDE ${kk}`, { size: 11, anchor: "middle" })));
      pair.forEach((i, h) => {
        const px = x + h * cw, me = i === j, a = withField(T, withField(T, va, "guest_pde_index", kk), "pt_quadrant", h);
        const pq = ruleQuadrants(T, rule, a).pt;
        o += hit(`data-select-address="${sel(a)}" data-link="gpde${kk}${hidePt ? "" : ` ptq${pq}`}${me ? " f:shadow_pde_index" : ""}" data-focus="spde:${kk - k}:${h}"`,
          hidePt ? `PAE PDE ${i} (${h ? "odd" : "even"})` : `PAE PDE ${i} (${h ? "odd" : "even"}) points at PAE PT quadrant ${pq}`,
          box(px, yZ + 30, cw - 2, 40, { fill: me ? cS : "#fff", stroke: cS, sw: 2 })
          + (me ? num(view, "shadow_pde_index", px + cw / 2 - 1, yZ + 44, i, { size: 12, anchor: "middle", fill: ink(T, cS) })
            : text(px + cw / 2 - 1, yZ + 44, i, { size: 12, anchor: "middle" }))
          + text(px + cw / 2 - 1, yZ + 57, h ? "odd" : "even", { size: 11, anchor: "middle", fill: me ? ink(T, cS) : "#000" })
          + text(px + cw / 2 - 1, yZ + 68, hidePt ? "->?" : `->q${pq}`, { size: 11, anchor: "middle", fill: me ? ink(T, cS) : "#000" }));
      });
    }
    const zx = X + q.pd * QW;
    if (!hidePd) o += `<path d="M${zx},${yS} L${X},${yZ + 72} M${zx + QW - 2},${yS} L${X + 4 * QW - 2},${yZ + 72}" stroke="${grey}" fill="none" stroke-dasharray="2 2"/>`;
    if (pt && !hidePt) {
      // an even and an odd PAE PDE of the pair, to the quadrant-0 and quadrant-1 PTs
      const kx = X + (k - k0) * 2 * cw;
      [0, 1].forEach((h) => {
        const a = withField(T, va, "pt_quadrant", h), pq = ruleQuadrants(T, rule, a).pt;
        const me = h === d.pt_quadrant;
        o += arrow(kx + h * cw + cw / 2, yZ + 70, PTX + pq * HW + 40 + h * 50, yS, { stroke: me ? cT : "#000", sw: me ? 2.5 : 1.2, link: `ptq${pq}` });
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
          box(x + 4 + (ss - s0) * cw, yS + 22, cw - 3, 20, { fill: me ? cST : "#fff", stroke: cST, sw: 1.5 })
          + (me ? num(view, "shadow_pte_index", x + 4 + (ss - s0) * cw + cw / 2, yS + 36, ss, { size: 12, anchor: "middle", fill: ink(T, cST) })
            : text(x + 4 + (ss - s0) * cw + cw / 2, yS + 36, ss, { size: 12, anchor: "middle" })));
      }
      o += `<g data-link="ptq${part.quadrant} gpt${mine ? " f:pt_quadrant" : ""}">`
        + box(x, yS, HW - 4, 46, { fill: mine ? "#fff" : "#f2f2f2", stroke: mine ? cT : "#000", sw: mine ? 3 : 1 })
        + text(x + 4, yS + 15, `PAE PT q${part.quadrant}: ${S.shadow_entries} PTEs, e.g.`, { size: 12, weight: mine ? "bold" : "normal" }) + "</g>" + cells;
      o += arrow(x + HW / 2, yS, x + HW / 2, yG + 42, { dash: "4 3", stroke: grey, link: `ptq${part.quadrant}` });
    }
  }
  return o;
}

// ---------------------------------------------------------------- readouts

const READOUT = [
  ["pd_quadrant", "PD quadrant"], ["guest_pde_index", "guest PDE"], ["shadow_pde_index", "PAE PDE"],
  ["pt_quadrant", "PT quadrant"], ["guest_pte_index", "guest PTE"], ["shadow_pte_index", "PAE PTE"],
];

function readout(T, view, y) {
  const d = decompose(T, view.va), q = ruleQuadrants(T, view.rule || "mainline", view.va);
  const value = { ...d, pd_quadrant: q.pd, pt_quadrant: q.pt };
  if (view.hide) value[`${view.hide}_quadrant`] = "?";  // the reader's question, not yet answered
  let o = num(view, "va", 10, y, hex(T, view.va), { size: 14, weight: "bold" });
  READOUT.forEach(([name, label], i) => {
    const x = 130 + i * 138, c = colour(T, name);
    o += `<g data-link="f:${name}">` + box(x, y - 14, 10, 18, { fill: c, stroke: "#000", rx: 1 })
      + text(x + 14, y, label + " ", { size: 12 })
      + num(view, name, x + 14 + 8 * (label.length + 1), y, value[name], { size: 13, weight: "bold" }) + "</g>";
  });
  return o;
}

function ruleVerdict(T, view, y) {
  const r = T.rules[view.rule], d = decompose(T, view.va), q = ruleQuadrants(T, view.rule, view.va);
  const pdOk = q.pd === d.pd_quadrant, ptOk = q.pt === d.pt_quadrant;
  let o = text(10, y, `rule ${r.name}: ${r.formula}  (${r.status})`, { size: 12, weight: "bold" });
  const verdict = (ok, what, got, bitsName, want) => (ok ? `right: ${what} ${got} = ${bitsName}`
    : `WRONG: ${what} ${got}, but ${bitsName} = ${want}`);
  const bad = "#000";  // WRONG is said in words and weight; vermillion is the PD quadrant's
  const [pdF, ptF] = T.layouts.quadrant;
  o += text(10, y + 18, verdict(pdOk, "PD quadrant", q.pd, vaBits(pdF), d.pd_quadrant), { size: 12, fill: pdOk ? "#000" : bad, weight: pdOk ? "normal" : "bold" });
  o += text(480, y + 18, verdict(ptOk, "PT quadrant", q.pt, vaBits(ptF), d.pt_quadrant), { size: 12, fill: ptOk ? "#000" : bad, weight: ptOk ? "normal" : "bold" });
  if (!ptOk) o += text(480, y + 34, "so this page would share a page table with the other half of its guest PT", { size: 11, fill: bad });
  return o;
}

// Words into lines of at most `width` characters (the font is monospace).
function wrap(words, width) {
  const lines = [];
  for (const w of words.split(" ")) {
    const last = lines.length ? lines[lines.length - 1] : null;
    if (last !== null && last.length + 1 + w.length <= width) lines[lines.length - 1] = last + " " + w;
    else lines.push(w);
  }
  return lines;
}

// ---------------------------------------------------------------- per explorer

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
    return svg(496, title, bitRows(T, view, 2, false) + twoTrees(T, view, 60) + readout(T, view, 436) + ruleVerdict(T, view, 460));
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
