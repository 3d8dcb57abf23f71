// Notebook 10's pictures: one address of a real Linux snapshot (QEMU, the guest walk,
// the shadow MMU, and the page directory it goes through), and the CR3 switch between
// the snapshot's two user processes. Pure functions (tables, spec, record, inputs) ->
// SVG string, no DOM: node draws the notebook's static picture with the same code
// (shadowmmu.frontend.node), and real.js puts the same string into the page.
//
// Records come from shadowmmu.states.real_guest; every number in them is Python's.
// Every text is laid out for a monospace glyph of CHAR_EM em (svg.js) and wrapped to
// the picture's width, so no label is cut. Sizes of tables come from T.shadow.
import { gpaOf, hexOf } from "./format.js";
import { fieldColour, paletteColour } from "./palette.js";
import { CHAR_EM, charsIn, rect, svgDoc, text, wrap, WIDTH } from "./svg.js";

const REAL_X0 = 20, REAL_RIGHT = WIDTH - 20;
const REAL_KIND_COLOUR = { "page table": "blue", "4 MiB page": "orange" };
const realHex = (v) => hexOf(v, 8);
const realGpa = (v) => gpaOf(v, "unmapped");
// boxes here are square-cornered and unstroked unless said
const realRect = (x, y, w, h, opts = {}) => rect(x, y, w, h, { stroke: "none", rx: 0, ...opts });
const realSvg = (height, title, body, cls) => svgDoc(WIDTH, height, title, body, { cls: `smmu-svg ${cls}` });

// Text from x to the right margin, wrapped; returns [svg, y after the last line].
function realPara(x, y, s, { size = 12, lead = 1.35, ...opts } = {}) {
  let out = "";
  for (const row of wrap(s, charsIn(REAL_RIGHT - x, size))) {
    out += text(x, y, row, { size, ...opts });
    y += Math.round(size * lead);
  }
  return [out, y];
}

// ---- one address: three answers, the shadow pages, the trace

function realVerdict(r) {
  if (!r.agree) return "DISAGREE: the three translations differ";
  if (r.qemu.asked === "no") return r.gpa === null ? "guest walk and shadow MMU agree: not mapped (QEMU was not asked)"
    : "guest walk and shadow MMU agree (QEMU was not asked about this page)";
  return r.gpa === null ? "all three agree: not mapped" : `all three agree: gpa ${realHex(r.gpa)}`;
}

function realAnswers(r) {
  const q = r.qemu, w = r.walk, f = r.fields;
  const qemuNote = q.asked === "exact" ? "QEMU was asked this address at capture"
    : q.asked === "page" ? "QEMU was asked this 4 KiB page; its gpa plus the page offset" : "QEMU was not asked";
  const walkNote = w.fault ? w.fault
    : w.level === 1 ? `PDE ${f.guest_pde_index} = ${realHex(w.pde)}, PTE ${f.guest_pte_index} = ${realHex(w.pte)}: a 4 KiB page`
      : `PDE ${f.guest_pde_index} = ${realHex(w.pde)}: a 4 MiB page (PS set)`;
  const leaf = r.leaf ? `${r.leaf.what} sPTE ${r.leaf.index} in ${r.leaf.role} gfn ${hexOf(r.leaf.gfn)} = ${r.leaf.spte}`
    : r.fault ? `KVM injects the guest's #PF: ${r.fault}` : "no sPTE installed";
  return [
    ["QEMU gva2gpa", q.asked === "no" ? "not asked" : realGpa(q.gpa), qemuNote],
    ["Guest.walk()", w.fault ? "#PF" : realGpa(w.gpa), walkNote],
    ["ShadowMMU.access()", r.fault ? "#PF" : realGpa(r.gpa), leaf],
  ];
}

function realFieldsLine(T, r, y) {
  const f = r.fields;
  const items = [
    ["guest_pde_index", `guest PDE ${f.guest_pde_index}`], ["guest_pte_index", `guest PTE ${f.guest_pte_index}`],
    ["pd_quadrant", `pae_root[${f.pd_quadrant}] (PD quadrant ${f.pd_quadrant})`],
    ["shadow_pde_index", `PAE PDE ${f.shadow_pde_index}`], ["pt_quadrant", `PT quadrant ${f.pt_quadrant}`],
    ["shadow_pte_index", `PAE PTE ${f.shadow_pte_index}`],
  ];
  let x = REAL_X0, out = "";
  for (const [name, label] of items) {
    const w = 14 + label.length * 11 * CHAR_EM;
    if (x + w > REAL_RIGHT) { x = REAL_X0; y += 16; }
    out += realRect(x, y - 9, 10, 10, { fill: fieldColour(T, name), stroke: "#000", sw: 0.5 })
      + text(x + 13, y, label, { size: 11, extra: ` data-field="${name}"` });
    x += w + 12;
  }
  return [out, y + 20];
}

function realPagesRow(T, r, y) {
  let out = text(REAL_X0, y, "shadow pages this access went through (root from the CR3 load; the rest from FNAME(fetch)):", { size: 11 });
  y += 8;
  const w = 270, h = 44, gap = 26;
  let x = REAL_X0;
  r.pages.forEach((p, n) => {
    if (x + w > REAL_RIGHT) { x = REAL_X0; y += h + 10; }
    const how = p.how === "root" ? "root from the CR3 load" : p.how === "found" ? "found in the cache" : "created now";
    out += `<g class="smmu-real-page" data-how="${p.how}" data-gfn="${p.gfn}" data-quadrant="${p.quadrant}" data-level="${p.level}">`
      + realRect(x, y, w, h, { fill: p.how === "created" ? "#fff" : "#eee", stroke: "#000", sw: p.how === "created" ? 2 : 1, dash: p.how === "found" ? "4 2" : "" })
      + text(x + 6, y + 16, `${p.role}, gfn ${hexOf(p.gfn)}`, { size: 12, weight: "bold" })
      + text(x + 6, y + 33, `role.quadrant ${p.quadrant}, ${how}`, { size: 11 }) + "</g>";
    if (n < r.pages.length - 1 && x + w + gap + w <= REAL_RIGHT) {
      out += `<line x1="${x + w + 2}" y1="${y + h / 2}" x2="${x + w + gap - 4}" y2="${y + h / 2}" stroke="#000" stroke-width="1.5"/>`
        + `<path d="M${x + w + gap - 4},${y + h / 2 - 4} L${x + w + gap},${y + h / 2} L${x + w + gap - 4},${y + h / 2 + 4} z"/>`;
    }
    x += w + gap;
  });
  return [out, y + h + 22];
}

function realProbePart(T, r, y) {
  const head = `snapshot ${r.snapshot} (CR3 ${realHex(r.cr3)}), VA ${realHex(r.va)}, host large pages ${r.host_large_pages ? "on" : "off"}`;
  let out = text(REAL_X0, y, head, { size: 13, weight: "bold" });
  y += 20;
  let part;
  [part, y] = realFieldsLine(T, r, y);
  out += part;
  const rows = realAnswers(r);
  const c1 = REAL_X0, c2 = REAL_X0 + 160, c3 = REAL_X0 + 260;
  out += text(c1, y, "who", { size: 11, weight: "bold" }) + text(c2, y, "gpa", { size: 11, weight: "bold" })
    + text(c3, y, "how", { size: 11, weight: "bold" });
  y += 16;
  for (const [who, gpa, note] of rows) {
    out += text(c1, y, who, { size: 12 }) + text(c2, y, gpa, { size: 12, weight: "bold" });
    [part, y] = realPara(c3, y, note, { size: 11 });
    out += part;
    y += 2;
  }
  out += realRect(REAL_X0 - 4, y - 12, REAL_RIGHT - REAL_X0 + 8, 17, { fill: "#fff", stroke: "#000", sw: r.agree ? 1 : 3 })
    + text(REAL_X0, y + 1, realVerdict(r), { size: 12, weight: "bold", extra: ` class="smmu-real-verdict" data-agree="${r.agree ? 1 : 0}"` });
  y += 26;
  [part, y] = realPagesRow(T, r, y);
  out += part;
  out += text(REAL_X0, y, "what happened, in order (ShadowMMU.last_trace):", { size: 11, weight: "bold" });
  y += 15;
  r.steps.forEach((s, n) => {
    [part, y] = realPara(REAL_X0 + 24, y, s, { size: 11, lead: 1.3 });
    out += text(REAL_X0, y - 14, `${n + 1}.`, { size: 11 }) + part;
  });
  return [out, y + 6];
}

// ---- the page directory: 1024 guest PDEs, the four PAE page directories, the list

function realPdDrawing(T, pd, r, y0) {
  const fx = REAL_X0, fw = REAL_RIGHT - REAL_X0;
  const S = T.shadow, ux = fw / S.guest_entries, sx = fw / S.shadow_entries;
  const f = r ? r.fields : null;
  const present = pd.pdes.length, large = pd.pdes.filter((p) => p.kind === "4 MiB page").length;
  let y = y0, part;
  let [out, yy] = realPara(fx, y, `${pd.snapshot}'s guest page directory (CR3 ${realHex(pd.cr3)}): ${S.guest_entries} PDEs, ${present} present: ${large} x 4 MiB, ${present - large} page tables`, { size: 13, weight: "bold" });
  y = yy - 8;
  const top = y;
  for (const part of S.pd) {
    const n = part.last - part.first + 1;
    out += realRect(fx + part.first * ux, top, n * ux - 1, 22, { fill: fieldColour(T, "guest_pde_index"), opacity: 0.18, extra: ` data-quarter="${part.quadrant}"` });
    out += text(fx + (part.first + n / 2) * ux, top + 36, `guest PDEs ${part.first}-${part.last}`, { size: 11, anchor: "middle" });
  }
  for (const p of pd.pdes) {
    out += realRect(fx + p.index * ux, top, Math.max(ux, 2), 22, { fill: paletteColour(T, REAL_KIND_COLOUR[p.kind]), extra: ` class="smmu-real-pde" data-index="${p.index}" data-kind="${p.kind}"` });
  }
  if (f) {
    const px = fx + f.guest_pde_index * ux;
    out += realRect(px - 2, top - 3, Math.max(ux, 2) + 4, 28, { fill: "none", stroke: "#000", sw: 2, extra: ' class="smmu-real-here"' });
  }
  y = top + 58;
  for (const q of pd.quadrants) {
    const label = `pae_root[${q.pd_quadrant}]: PAE page directory, role.quadrant ${q.pd_quadrant}, VA ${realHex(q.va_lo)}-${realHex(q.va_hi)}`;
    const counts = `${q.present} present guest PDEs (${q.large} x 4 MiB, ${q.tables} page tables) fill ${2 * q.present} of its ${S.shadow_entries} PAE PDEs`;
    [part, y] = realPara(fx, y, label, { size: 12 });
    out += part;
    [part, y] = realPara(fx, y - 2, counts, { size: 11 });
    out += part;
    const row = y - 8;
    out += realRect(fx, row, fw, 18, { fill: fieldColour(T, "pd_quadrant"), opacity: 0.12, extra: ` data-pd-quadrant="${q.pd_quadrant}"` });
    for (const p of pd.pdes.filter((e) => e.pd_quadrant === q.pd_quadrant)) {
      out += realRect(fx + p.pae_pdes[0] * sx, row, Math.max(2 * sx, 2), 18, { fill: paletteColour(T, REAL_KIND_COLOUR[p.kind]), extra: ` class="smmu-real-pae-pde" data-pd-quadrant="${q.pd_quadrant}" data-index="${p.pae_pdes[0]}" data-kind="${p.kind}"` });
    }
    if (f && f.pd_quadrant === q.pd_quadrant) {
      const px = fx + f.shadow_pde_index * sx;
      out += realRect(px - 2, row - 3, Math.max(sx, 2) + 4, 24, { fill: "none", stroke: "#000", sw: 2, extra: ' class="smmu-real-here"' });
      const half = S.pt[f.shadow_pde_index % 2], parity = `${half.quadrant ? "odd" : "even"}: gPTEs ${half.first}-${half.last}`;
      const note = `${realHex(r.va)} goes through PAE PDE ${f.shadow_pde_index} (${parity} of guest PDE ${f.guest_pde_index})`;
      [part, y] = realPara(fx, row + 34, note, { size: 11, weight: "bold" });
      out += part;
      y -= 10;
    }
    y += 26;
  }
  let cx = fx;
  for (const [kind, c] of Object.entries(REAL_KIND_COLOUR)) {
    out += realRect(cx, y - 9, 10, 10, { fill: paletteColour(T, c) }) + text(cx + 14, y, `${kind} (present PDE)`, { size: 11 });
    cx += 200;
  }
  [part, y] = realPara(cx, y, "each guest PDE fills two PAE PDEs of its quarter's PD", { size: 11 });
  out += part;
  y += 6;
  [part, y] = realPara(fx, y, "every present PDE: its VA, what it maps, and the pair of PAE PDEs (even, odd) in pae_root[q]'s PD that shadow it", { size: 11, weight: "bold" });
  out += part;
  const half = Math.ceil(pd.pdes.length / 2), colW = fw / 2;
  pd.pdes.forEach((p, n) => {
    const x = fx + (n < half ? 0 : colW), yy = y + (n % half) * 15;
    const what = p.kind === "4 MiB page" ? `4 MiB at ${realHex(p.frame)}${p.writable ? "" : " ro"}`
      : `PT ${realHex(p.frame)}: ${p.lower}+${p.upper} gPTEs`;
    const here = f && f.guest_pde_index === p.index;
    const opts = { size: 11, weight: here ? "bold" : "normal" };
    out += `<g class="smmu-real-pde-row" data-index="${p.index}">`
      + text(x + 40, yy, `${here ? "> " : ""}${p.index}`, { ...opts, anchor: "end" })
      + text(x + 48, yy, `${realHex(p.va)} ${what} -> q${p.pd_quadrant} ${p.pae_pdes[0]},${p.pae_pdes[1]}`, opts) + "</g>";
  });
  y += half * 15 + 4;
  return [out, y];
}

// The picture of one probe record: the answers first, then the page directory.
export function drawRealProbe(T, spec, r, inputs) {
  let [body, y] = realProbePart(T, r, 22);
  const pd = ((spec && spec.pds) || {})[r.snapshot];
  if (pd) {
    let part;
    [part, y] = realPdDrawing(T, pd, r, y + 14);
    body += part;
  }
  return realSvg(y + 8, `snapshot ${r.snapshot}, VA ${realHex(r.va)}: ${realVerdict(r)}`, body, "smmu-real-probe");
}

// ---- the CR3 switch

function realKind(p) {
  return `L${p.level} q${p.quadrant}${p.direct ? " direct" : ""}`;
}

export function drawCr3Switch(T, spec, r, inputs) {
  let y = 22, part;
  let [body, yy] = realPara(REAL_X0, y, `CR3 switch: ${r.first} ran, then CR3 = ${r.second}'s page directory; rule ${r.rule}${r.rule_correct ? "" : " (wrong)"}, host large pages ${r.host_large_pages ? "on" : "off"}`, { size: 13, weight: "bold" });
  y = yy + 2;
  [part, y] = realPara(REAL_X0, y, `${r.second}'s faults reached ${r.found + r.created} shadow pages: ${r.found} found in the cache (built while ${r.first} ran), ${r.created} created. The cache held ${r.before_total} shadow pages before the switch and ${r.after_total} after. The two page directories share ${r.shared_tables.length} page tables.`, { size: 12 });
  body += part;
  if (!r.rule_correct) {
    [part, y] = realPara(REAL_X0, y, `"${r.rule}" is the misconception of notebook 04: its roles are not KVM's, so these counts are not what KVM does.`, { size: 12, weight: "bold" });
    body += part;
  }
  y += 6;
  const bw = 112, bh = 32, gap = 6, lx = REAL_X0, bx = REAL_X0 + 150;
  for (let q = 0; q < 4; q++) {
    const mine = r.pages.filter((p) => p.pd_quadrant === q);
    body += text(lx, y + 4, `pae_root[${q}]`, { size: 12, weight: "bold" })
      + text(lx, y + 19, q === 3 ? "kernel half" : "user space", { size: 11 });
    if (!mine.length) {
      body += text(bx, y + 12, "nothing reached", { size: 11 });
      y += 36;
      continue;
    }
    for (const found of [true, false]) {
      const group = mine.filter((p) => p.found === found);
      if (!group.length) continue;
      body += text(bx, y + 4, `${found ? "found in the cache" : "created"}: ${group.length}`, { size: 11, weight: "bold" });
      y += 10;
      let x = bx;
      for (const p of group) {
        if (x + bw > REAL_RIGHT) { x = bx; y += bh + gap; }
        body += `<g class="smmu-real-switch-page" data-found="${found ? 1 : 0}" data-gfn="${p.gfn}" data-pd-quadrant="${q}">`
          + realRect(x, y, bw, bh, { fill: found ? "#eee" : "#fff", stroke: "#000", sw: found ? 1 : 2, dash: found ? "4 2" : "" })
          + text(x + 5, y + 13, realKind(p), { size: 11, weight: "bold" })
          + text(x + 5, y + 27, `gfn ${hexOf(p.gfn)}`, { size: 11 }) + "</g>";
        x += bw + gap;
      }
      y += bh + 16;
    }
    y += 8;
  }
  const cols = [REAL_X0, REAL_X0 + 200, REAL_X0 + 480, REAL_X0 + 640];
  body += ["shadow page", "reached from", "found in the cache", "created"].map((h, i) => text(cols[i], y, h, { size: 11, weight: "bold" })).join("");
  y += 15;
  for (const row of r.rows) {
    const from = `pae_root[${row.pd_quadrant}] (${row.pd_quadrant === 3 ? "kernel" : "user"})`;
    body += [realKind(row), from, String(row.found), String(row.created)].map((s, i) => text(cols[i], y, s, { size: 11 })).join("");
    y += 14;
  }
  body += [["total", ""], ["", ""], [String(r.found)], [String(r.created)]].map((s, i) => text(cols[i], y, s[0], { size: 11, weight: "bold" })).join("");
  y += 10;
  return realSvg(y + 8, `CR3 switch ${r.first} to ${r.second}: ${r.found} found, ${r.created} created`, body, "smmu-real-switch");
}
