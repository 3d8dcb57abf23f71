// The two trees: the guest's tables beside KVM's PAE shadow, drawn from a tree record
// (shadowmmu.states.trees.tree_record). A pure function (tables, tree, view) -> SVG
// string; no DOM, so node draws the same picture for the static page.
//
// view: {focus: [keys], prev: the tree of the step before (or null), y0}. Keys name
// the things a step is about, the same ones the records use:
//   cr3, gpde:N, gpte:N, data, cpu, root:I, page:ID, spte:ID:N   (ID: a page's hpa, hex)
// A focused element is drawn with a thick border in its concept's colour and a "▶"
// mark; an element that was not in `prev` says "new" and carries class smmu-new (the
// page fades it in). An sPTE or guest entry that is focused but empty is drawn as an
// empty row, so a walk that reads nothing still has something to point at. Colour is
// never alone: every mark has its words.

import { hexOf } from "./format.js";
import { fieldColour } from "./palette.js";
import { arrowMarker, charsIn, esc, line, rect, svgDoc, text, wrap, WIDTH } from "./svg.js";

const TR_ROW = 14;
const TREE_ARROW = "smmu-tree-arrow";
const trText = (x, y, s, opts = {}) => text(x, y, s, { size: 11, ...opts });
const trLine = (x1, y1, x2, y2, opts = {}) => line(x1, y1, x2, y2, { sw: 1.2, ...opts, marker: TREE_ARROW });

// One keyed element: a group with data-key, marked if focused or new; a line too long for
// the box wraps, and the box grows to hold it. Returns {svg, h}.
function trItem(key, ctx, colour, x, y, w, lines, { dash = "", fill = "#fff" } = {}) {
  const on = ctx.focus.has(key), isNew = ctx.prevKeys !== null && !ctx.prevKeys.has(key);
  const cls = ["smmu-tree-item", on ? "smmu-focus" : "", isNew ? "smmu-new" : ""].filter(Boolean).join(" ");
  const chars = charsIn(w - 8, 11), rows = [];
  lines.forEach((l, i) => {
    const s = (i === 0 && on ? "▶ " : "") + l.text + (i === 0 && isNew ? "  (new)" : "");
    const bold = l.bold || (i === 0 && on);
    for (const r of s.length <= chars ? [s] : wrap(s, chars)) rows.push({ r, bold });
  });
  const h = 6 + rows.length * TR_ROW;
  let body = rect(x, y, w, h, { stroke: on ? colour : "#000", sw: on ? 3 : 1, dash, fill });
  rows.forEach(({ r, bold }, i) => { body += trText(x + 4, y + 12 + i * TR_ROW, r, { weight: bold ? "bold" : "normal" }); });
  return { svg: `<g class="${cls}" data-key="${esc(key)}">${body}</g>`, h };
}

// Every key a tree has (for "new" marks).
export function treeKeys(tree) {
  const keys = new Set(["cr3", "cpu"]);
  const g = tree.guest;
  for (const e of g.pdes) if (e.present) keys.add(`gpde:${e.index}`);
  if (g.pt) for (const e of g.pt.ptes) if (e.present) keys.add(`gpte:${e.index}`);
  if (g.data) keys.add("data");
  for (const r of tree.shadow.pae_root) keys.add(`root:${r.index}`);
  for (const p of tree.shadow.pages) {
    keys.add(`page:${p.id}`);
    for (const s of p.sptes) keys.add(`spte:${p.id}:${s.index}:${s.value}`);
  }
  return keys;
}

export function pageLabel(p) {
  return `L${p.level} q${p.quadrant} gfn ${hexOf(p.gfn)}${p.direct ? " direct" : ""}`;
}

function trEntryLines(e, what) {
  if (!e.present) return [{ text: `${what} ${e.index} = ${hexOf(e.value, 8)}: not present` }];
  const to = e.kind === "4M" ? `4 MiB page at gfn ${hexOf(e.gfn)}` : `gfn ${hexOf(e.gfn)}`;
  return [{ text: `${what} ${e.index} = ${hexOf(e.value, 8)}` }, { text: `  -> ${to}` }];
}

function trGuest(T, g, ctx, y0) {
  const X = 10, W = 290, cG = fieldColour(T, "guest_pde_index"), cT = fieldColour(T, "guest_pte_index");
  let o = trText(X, y0 + 12, "the guest's tables (4-byte entries)", { size: 12, weight: "bold" });
  let y = y0 + 22;
  const cr3 = trItem("cr3", ctx, "#000", X, y, W, [{ text: `CR3 ${hexOf(g.cr3, 8)} -> guest PD gfn ${hexOf(g.pd_gfn)}` }]);
  o += cr3.svg;
  y += cr3.h + 10;
  o += trText(X, y + 10, `guest PD, gfn ${hexOf(g.pd_gfn)}: present PDEs`, { weight: "bold" });
  y += 16;
  for (const e of g.pdes) {
    const key = `gpde:${e.index}`, lines = trEntryLines(e, "PDE");
    if (e.index === g.walked_pde) lines[0].text += "  (this VA)";
    const it = trItem(key, ctx, cG, X + 8, y, W - 8, lines, { dash: e.present ? "" : "3 2" });
    o += it.svg;
    y += it.h + 3;
  }
  if (g.pt) {
    y += 8;
    o += trText(X, y + 10, `guest PT, gfn ${hexOf(g.pt.gfn)} (PDE ${g.walked_pde} points here)`, { weight: "bold" });
    y += 16;
    for (const e of g.pt.ptes) {
      const lines = trEntryLines(e, "PTE");
      if (e.index === g.pt.walked) lines[0].text += "  (this VA)";
      const it = trItem(`gpte:${e.index}`, ctx, cT, X + 8, y, W - 8, lines, { dash: e.present ? "" : "3 2" });
      o += it.svg;
      y += it.h + 3;
    }
  }
  y += 8;
  const dl = g.data ? [{ text: `data page gfn ${hexOf(g.data.gfn)}` }, { text: `  (this VA -> gpa ${hexOf(g.data.gpa, 8)})` }]
    : [{ text: "no data page: the guest does not map this VA" }];
  const data = trItem("data", ctx, fieldColour(T, "page_offset"), X, y, W, dl, { dash: g.data ? "" : "3 2" });
  return { svg: o + data.svg, bottom: y + data.h };
}

function trSpteLines(p, s, byId) {
  if (!s) return null;
  if (s.kind === "link") {
    const c = byId.get(s.page);
    return [{ text: `sPTE ${s.index} = ${hexOf(s.value, 16)}` }, { text: `  link -> ${c ? pageLabel(c) : s.page}` }];
  }
  return [{ text: `sPTE ${s.index} = ${hexOf(s.value, 16)}` }, { text: `  ${s.kind} -> gfn ${hexOf(s.gfn)} (${s.flags})` }];
}

// One shadow page and its sPTE rows; returns {svg, height, rowY: {index: y of the row's middle}}.
function trPage(T, p, ctx, x, y, w, marks, inRoot, byId) {
  const cPage = fieldColour(T, p.level === 1 ? "pt_quadrant" : "pd_quadrant");
  const cSpte = fieldColour(T, p.level === 1 ? "shadow_pte_index" : "shadow_pde_index");
  const flags = [p.root ? "root" : "", inRoot || p.level === 1 ? "" : "cached, not in pae_root",
    p.unsync ? "unsync" : "", marks.tracked.has(p.gfn) && !p.direct ? "gfn write-tracked" : "",
    marks.wp.has(p.gfn) && !p.direct && !marks.tracked.has(p.gfn) ? "gfn write-protected" : ""].filter(Boolean);
  const head = [{ text: pageLabel(p), bold: true }, { text: `acc ${p.access}, hpa ${p.id}` }];
  let line = "";
  for (const f of flags) {  // at most 36 characters a line: the box is 250 px wide
    if (line && line.length + 2 + f.length > 36) {
      head.push({ text: line });
      line = f;
    } else line = line ? `${line}, ${f}` : f;
  }
  if (line) head.push({ text: line });
  const hd = trItem(`page:${p.id}`, ctx, cPage, x, y, w, head, { dash: inRoot || p.level === 1 ? "" : "4 3", fill: "#f4f4f4" });
  let o = hd.svg, yy = y + hd.h + 2;
  const rowY = {};
  const shown = new Map(p.sptes.map((s) => [s.index, s]));
  for (const k of ctx.focus) {
    const m = k.match(/^spte:([^:]+):(\d+)$/);
    if (m && m[1] === p.id && !shown.has(Number(m[2]))) shown.set(Number(m[2]), null);
  }
  for (const [index, s] of [...shown.entries()].sort((a, b) => a[0] - b[0])) {
    const lines = trSpteLines(p, s, byId) || [{ text: `sPTE ${index} = 0: empty` }];
    const key = `spte:${p.id}:${index}`;
    // "new" compares values: an sPTE rewritten with another value is new too
    const isNewKey = s ? `spte:${p.id}:${index}:${s.value}` : null;
    const ctx2 = { ...ctx, prevKeys: ctx.prevKeys && isNewKey && !ctx.prevKeys.has(isNewKey) ? new Set() : null };
    const it = trItem(key, ctx2, cSpte, x + 10, yy, w - 10, lines, { dash: s ? "" : "3 2" });
    o += it.svg;
    rowY[index] = yy + it.h / 2;
    yy += it.h + 2;
  }
  return { svg: o, height: yy - y, headY: y + 10, rowY };
}

function trShadow(T, sh, ctx, y0) {
  const RX = 310, RW = 120, PX = 440, PW = 250, LX = 700, LW = 250;
  const byId = new Map(sh.pages.map((p) => [p.id, p]));
  const marks = { tracked: new Set(sh.write_tracked), wp: new Set(sh.write_protected) };
  const cR = fieldColour(T, "pd_quadrant");
  let o = trText(RX, y0 + 12, "KVM's PAE shadow (8-byte sPTEs)", { size: 12, weight: "bold" });
  o += trItem("cpu", ctx, "#000", LX, y0, LW, [{ text: "CPU walk -> #PF -> KVM" }]).svg;
  const y = y0 + 26;
  o += trText(RX, y + 10, "pae_root", { weight: "bold" });
  const rootY = {};
  sh.pae_root.forEach((r, i) => {
    const p = r.page ? byId.get(r.page) : null;
    const ry = y + 16 + i * 24;
    o += trItem(`root:${i}`, ctx, cR, RX, ry, RW, [{ text: `[${i}] -> ${p ? `PD q${p.quadrant}` : "empty"}` }]).svg;
    rootY[i] = ry + 10;
  });
  const inRoot = new Set(sh.pae_root.map((r) => r.page).filter(Boolean));
  const l2 = sh.pages.filter((p) => p.level === 2);
  l2.sort((a, b) => (inRoot.has(b.id) - inRoot.has(a.id)));
  let py = y, ly = y;
  const placed = new Map();
  for (const p of l2) {
    const d = trPage(T, p, ctx, PX, py, PW, marks, inRoot.has(p.id), byId);
    o += d.svg;
    placed.set(p.id, d);
    py += d.height + 6;
  }
  // level-1 pages beside the first sPTE that links them
  const l1 = sh.pages.filter((p) => p.level === 1);
  const parentRow = new Map();
  for (const p of l2) {
    const d = placed.get(p.id);
    for (const s of p.sptes) if (s.kind === "link" && !parentRow.has(s.page)) parentRow.set(s.page, d.rowY[s.index]);
  }
  l1.sort((a, b) => (parentRow.get(a.id) ?? 1e9) - (parentRow.get(b.id) ?? 1e9));
  for (const p of l1) {
    const want = parentRow.has(p.id) ? parentRow.get(p.id) - 10 : ly;
    const at = Math.max(ly, want);
    const d = trPage(T, p, ctx, LX, at, LW, marks, true, byId);
    o += d.svg;
    placed.set(p.id, d);
    ly = at + d.height + 6;
  }
  // arrows: pae_root entries to their PDs, links to their children
  sh.pae_root.forEach((r, i) => {
    const d = r.page && placed.get(r.page);
    if (d) o += trLine(RX + RW, rootY[i], PX - 2, d.headY, { stroke: ctx.focus.has(`root:${i}`) ? cR : "#000", sw: ctx.focus.has(`root:${i}`) ? 2.5 : 1 });
  });
  for (const p of l2) {
    const d = placed.get(p.id);
    for (const s of p.sptes) {
      const c = s.kind === "link" && placed.get(s.page);
      if (c) o += trLine(PX + PW, d.rowY[s.index], LX - 2, c.headY, { sw: ctx.focus.has(`spte:${p.id}:${s.index}`) ? 2.5 : 1 });
    }
  }
  return { svg: o, bottom: Math.max(py, ly, y + 16 + 4 * 24) };
}

// The two trees from y0 down: {svg (a fragment), height}. treesDefs() must be in the <svg>.
export function drawTrees(T, tree, view = {}) {
  const y0 = view.y0 || 0;
  const ctx = { focus: new Set(view.focus || []), prevKeys: view.prev ? treeKeys(view.prev) : null };
  const g = trGuest(T, tree.guest, ctx, y0), s = trShadow(T, tree.shadow, ctx, y0);
  const note = trText(10, Math.max(g.bottom, s.bottom) + 16,
    `${tree.shadow.pages.length} shadow pages in the cache (named by hpa; gfn: the guest table shadowed). `
    + "Dashed: cached, not reached from pae_root.", {});
  return { svg: g.svg + s.svg + note, height: Math.max(g.bottom, s.bottom) + 24 - y0 };
}

export function treesDefs() {
  return arrowMarker(TREE_ARROW, 9);
}

// A whole SVG of one tree (for explorers that only show the trees).
export function treesSvg(T, tree, view = {}, title = "the two trees") {
  const d = drawTrees(T, tree, { ...view, y0: 4 });
  return svgDoc(WIDTH, d.height + 8, title, d.svg, { defs: treesDefs() });
}
