// Notebook 08's whole-guest explorer: the Linux-like guest under one quadrant rule,
// host large pages on or off, 1..N processes. render({model, el}) for anywidget and
// guestDraw(tables, spec, record, inputs), the pure drawing (no DOM; node runs it
// for the static picture).
//
// The record is shadowmmu.states.whole_guest's: every count, byte total and run of
// pages was computed in Python by the simulator; this module lays the map out (MAP,
// guestLayout, guestMark) and draws it. Every toggle answers in the same frame from the precomputed `states`
// (sim.js simHost); without a kernel an input outside them says it needs the live
// notebook.
//
// Testing contract: the root .smmu-explorer[data-explorer="whole-guest"] carries
// data-state-key, data-status, data-rule, data-large ("1"/"0"), data-processes,
// data-shadow-pages (total), data-overhead-bytes and data-verdict ("right"/"wrong");
// each census cell g.smmu-census-cell carries data-level, data-direct, data-quadrant
// and data-count; each map cell g.smmu-map-cell data-quadrant, data-slot,
// data-process and data-cover (the covering shadow page's label, or "").
// Controls: select.smmu-rule, input.smmu-large (checkbox), select.smmu-processes.
import { checkbox, element } from "./dom.js";
import { grouped } from "./format.js";
import { simHost } from "./sim.js";
import { statusStrip } from "./status.js";
import { esc, rect, svgDoc, text } from "./svg.js";

const GUEST_CENSUS = { label: 232, cell: 56, row: 20, head: 20 };

function guestCensus(rec, y0) {
  const C = GUEST_CENSUS, c = rec.census;
  let out = text(0, y0 + 14, "shadow pages by role.quadrant", { weight: "bold" });
  for (let q = 0; q < 4; q++) out += text(C.label + q * C.cell + 4, y0 + 14, `q${q}`);
  out += text(C.label + 4 * C.cell + 4, y0 + 14, "total");
  let y = y0 + C.head;
  const cell = (x, count, attrs, bold) => `<g class="smmu-census-cell" ${attrs} data-count="${count}">`
    + rect(x, y, C.cell, C.row, { fill: count ? "#fff" : "#f2f2f2", stroke: "#999", rx: 0 })
    + text(x + C.cell - 6, y + 15, count, { anchor: "end", weight: bold ? "bold" : "normal" }) + "</g>";
  for (const r of c.rows) {
    out += text(0, y + 15, `${r.label} (L${r.level})`);
    for (const k of r.cells) {
      out += cell(C.label + k.quadrant * C.cell, k.count,
        `data-level="${r.level}" data-direct="${r.direct ? 1 : 0}" data-quadrant="${k.quadrant}"`, false);
    }
    out += cell(C.label + 4 * C.cell, r.total, `data-level="${r.level}" data-direct="${r.direct ? 1 : 0}" data-quadrant="all"`, true);
    y += C.row;
  }
  out += text(0, y + 15, "all shadow pages");
  out += cell(C.label + 4 * C.cell, c.total, 'data-level="all" data-quadrant="all"', true);
  return { svg: out, y: y + C.row };
}

function guestSummary(rec, y0) {
  const o = rec.overhead, v = rec.verdict;
  const lines = [
    [`memory: ${o.shadow_pages} shadow pages x 4 KiB = ${grouped(o.shadow_bytes)} B, against ${o.guest_table_frames} `
      + `guest page-table frames = ${grouped(o.guest_table_bytes)} B (${o.ratio_text}x)`, {}],
    [`${o.leaf_sptes} leaf sPTEs (${o.large_sptes} of them 2 MiB), ${o.faults} shadow page faults`, {}],
    v.verdict === "right"
      ? [`check(): RIGHT. ${v.text}`, { extra: ' class="smmu-verdict" data-verdict="right"' }]
      : [`check(): WRONG after ${v.process} ran. ${v.text}`, { weight: "bold", extra: ' class="smmu-verdict" data-verdict="wrong"' }],
  ];
  let out = "", y = y0;
  for (const [s, opts] of lines) {
    y += 16;
    out += text(0, y, s, { size: 11, ...opts });
  }
  for (const s of rec.switch) {
    y += 16;
    const reused = s.reused.length ? s.reused.map((r) => `${r.count} x ${r.kind}`).join(", ") : "nothing";
    out += text(0, y, `${s.process}: ${s.created} shadow pages made; found in the cache: ${reused}`,
      { size: 11, extra: ` class="smmu-switch" data-process="${esc(s.process)}" data-created="${s.created}" data-reused="${s.reused_total}"` });
  }
  return { svg: out, y: y + 10 };
}

// The map's geometry, px. The record holds data only (shadowmmu/states/whole_guest.py):
// which slots are mapped and the runs of pages in them; where they are drawn is decided here.
// A slot with 4 KiB mappings is pagesSlotW wide, one half of a 4 MiB guest page largeSlotW,
// a run of empty slots one gapW gap.
const MAP = { labelW: 72, pagesSlotW: 136, largeSlotW: 16, gapW: 32, minMarkW: 3, headH: 32, rowH: 30,
  stripGap: 10, textDy: 11, guestDy: 14, shadowDy: 22, barH: 6 };

// [x, width] of pages lo..lo+n-1 of a slot of `per` pages drawn at x0, w px wide: page k starts
// at floor(k*w/per) and a run ends at ceil((lo+n)*w/per); a mark narrower than MAP.minMarkW
// is widened to it (moved left if it would leave its slot), so every run is visible.
export function guestMark(lo, n, x0, w, per) {
  const a = Math.floor((lo * w) / per), b = Math.ceil(((lo + n) * w) / per);
  const width = Math.max(b - a, MAP.minMarkW);
  return [x0 + Math.min(a, w - width), width];
}

// Where each strip, gap, slot and row is drawn: {width, height, strips: [{y, h, gaps: [{x, w}],
// slots: [{x, w}], rows: [y]}]}; slots and gaps tile each strip in address order.
export function guestLayout(M) {
  let y = 0, width = 0;
  const strips = M.strips.map((s) => {
    const parts = [...s.gaps.map((g, i) => [g.first, "gaps", i, MAP.gapW]),
      ...s.slots.map((sl, i) => [sl.index, "slots", i, sl.kind === "pages" ? MAP.pagesSlotW : MAP.largeSlotW])];
    parts.sort((p, q) => p[0] - q[0]);
    const at = { gaps: [], slots: [] };
    let x = MAP.labelW;
    for (const [, list, i, w] of parts) {
      at[list][i] = { x, w };
      x += w;
    }
    width = Math.max(width, x);
    const h = MAP.headH + s.rows.length * MAP.rowH;
    const strip = { y, h, ...at, rows: s.rows.map((_, n) => y + MAP.headH + n * MAP.rowH) };
    y += h + MAP.stripGap;
    return strip;
  });
  return { width, height: y - MAP.stripGap, strips };
}

function guestMap(rec, y0) {
  const M = rec.map, L = guestLayout(M);
  let out = "";
  M.strips.forEach((s, si) => {
    const G = L.strips[si], y = y0 + G.y;
    out += text(0, y + 12, `PD quadrant ${s.quadrant}: pae_root[${s.quadrant}], VA ${s.va}-${s.va_end} (a PAE page directory per process)`,
      { size: 11, weight: "bold" });
    s.slots.forEach((slot, n) => { if (slot.tick) out += text(G.slots[n].x + 1, y + 27, slot.tick, { size: 11 }); });
    const top = y + MAP.headH, bottom = y + G.h;
    s.gaps.forEach((g, n) => {
      const { x, w } = G.gaps[n];
      out += `<g class="smmu-map-gap" data-slots="${g.slots}"><title>${g.slots} empty 2 MiB slots, ${g.va}-${g.va_end}</title>`
        + rect(x + 2, top, w - 4, bottom - top, { fill: "url(#smmu-gap)", stroke: "#999", rx: 0 })
        + text(x + w / 2, top + 13, g.slots, { size: 11, anchor: "middle", extra: ' paint-order="stroke" stroke="#fff" stroke-width="3"' }) + "</g>";
    });
    s.rows.forEach((row, r) => {
      const ry = y0 + G.rows[r];
      out += text(0, ry + MAP.textDy + 8, row.label);
      row.cells.forEach((c, n) => {
        const slot = s.slots[n], { x: sx, w: sw } = G.slots[n];
        const page = c.cover === undefined ? null : M.pages[c.cover];
        const label = page ? page.label : "";
        const tip = `${row.label}, slot ${slot.index} (${slot.va}): ${page ? `${label}, made by ${page.created_by}` : "no shadow page"}`
          + (c.wrong ? `; ${c.wrong} sPTEs disagree with the guest` : "");
        out += `<g class="smmu-map-cell" data-quadrant="${s.quadrant}" data-slot="${slot.index}" data-process="${esc(row.label)}"`
          + ` data-cover="${esc(label)}" data-reused="${c.reused ? 1 : 0}" data-wrong="${c.wrong || 0}"><title>${esc(tip)}</title>`
          + rect(sx, ry + 1, sw, MAP.rowH - 2, { fill: c.reused ? "url(#smmu-reused)" : "#fff", stroke: "#999", rx: 0 });
        const mark = (c.mark || label) + (c.wrong ? ` x${c.wrong}` : "");
        if (mark) {
          const large = slot.kind === "large";
          out += text(large ? sx + sw / 2 : sx + 3, ry + MAP.textDy, mark, { size: 11, anchor: large ? "middle" : "start" });
        }
        for (const [lo, count] of c.guest) {
          const [x, w] = guestMark(lo, count, sx, sw, M.pages_per_slot);
          out += `<rect class="smmu-guest-run" x="${x}" y="${ry + MAP.guestDy}" width="${w}" height="${MAP.barH}" fill="#000"/>`;
        }
        for (const [lo, count, ok] of c.shadow) {
          const [x, w] = guestMark(lo, count, sx, sw, M.pages_per_slot);
          out += `<rect class="smmu-spte-run" data-ok="${ok}" x="${x}" y="${ry + MAP.shadowDy}" width="${w}" height="${MAP.barH}"`
            + ` fill="${ok ? "#000" : "url(#smmu-wrong)"}" stroke="#000" stroke-width="${ok ? 0 : 1}"/>`;
        }
        out += "</g>";
      });
    });
  });
  const ly = y0 + L.height + 16;
  const legend = [
    "Each row: the process's guest mappings (upper bar) and present leaf sPTEs (lower bar) in each 2 MiB slot",
    "(one PAE PDE). Wide slots hold 4 KiB pages (their shadow page table named); narrow ones half a 4 MiB",
    "guest page: 2M = a 2 MiB leaf in the root, D0/D1 = a direct page of role.quadrant 0/1. Hatched: a page",
    "found in the cache (made by an earlier process). Cross-hatched sPTEs (xN: N pages) disagree with the",
    `guest's walk. Grey boxes: runs of empty slots (their count). Inside a slot the ${M.pages_per_slot} pages are to scale;`,
    `no mark is drawn narrower than ${MAP.minMarkW} px.`,
  ];
  legend.forEach((s, i) => { out += text(0, ly + i * 15, s, { size: 11 }); });
  return { svg: out, y: ly + legend.length * 15 };
}

const GUEST_DEFS = '<pattern id="smmu-gap" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#eee"/></pattern>'
  + '<pattern id="smmu-reused" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
  + '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="2"/></pattern>'
  + '<pattern id="smmu-wrong" width="4" height="4" patternUnits="userSpaceOnUse">'
  + '<rect width="4" height="4" fill="#fff"/><path d="M0 0L4 4M4 0L0 4" stroke="#000" stroke-width="1"/></pattern>';

function guestSvg(rec, body, height, label) {
  return svgDoc(Math.max(guestLayout(rec.map).width, 780) + 8, height, label, body, { cls: "smmu-guest-picture", defs: GUEST_DEFS, fit: false });
}

function guestHead(rec) {
  const r = rec.rule;
  return text(0, 14, `rule ${r.name} (${r.formula})${r.correct ? "" : ", the misconception"}; host large pages `
    + `${rec.large ? "on" : "off"}; ${rec.processes} process${rec.processes === 1 ? "" : "es"}; ${rec.mem_mib} MiB`, { weight: "bold" });
}

// The whole picture: census, overhead, verdict, what each CR3 switch reused, the map.
export function guestDraw(tables, spec, rec, inputs) {
  const census = guestCensus(rec, 24);
  const summary = guestSummary(rec, census.y);
  const map = guestMap(rec, summary.y + 8);
  return guestSvg(rec, guestHead(rec) + census.svg + summary.svg + map.svg, map.y + 8,
    "whole-guest census, overhead, verdict and address map");
}

// The address map alone (notebook 08's static map).
export function guestMapDraw(tables, spec, rec, inputs) {
  const map = guestMap(rec, 24);
  return guestSvg(rec, guestHead(rec) + map.svg, map.y + 8, "address map by PD quadrant and 2 MiB slot");
}

export function render({ model, el }) {
  const T = model.get("tables");
  const choices = model.get("choices") || {};
  const root = element("div", { class: "smmu-explorer smmu-guest", "data-explorer": "whole-guest", "data-status": "" });
  const rule = element("select", { class: "smmu-rule", "aria-label": "quadrant rule" });
  for (const name of T.rule_order) {
    rule.append(element("option", { value: name, text: `${name}${T.rules[name].correct ? "" : " (wrong)"}` }));
  }
  const [large, largeLabel] = checkbox("smmu-large", " host large pages", "smmu-large");
  const procs = element("select", { class: "smmu-processes", "aria-label": "processes" });
  const offer = (n) => {
    if (![...procs.options].some((o) => Number(o.value) === n)) procs.append(element("option", { value: String(n), text: String(n) }));
  };
  for (const n of choices.processes || []) offer(n);
  const controls = element("div", { class: "smmu-controls" }, [
    element("label", { text: "rule" }), rule, large, largeLabel, element("label", { text: "processes" }), procs,
  ]);
  const strip = statusStrip(root);
  const picture = element("div", { class: "smmu-picture" });
  const note = element("div", { class: "smmu-note", text: choices.note || "" });
  root.append(controls, strip.error, strip.status, picture, note);
  el.append(root);

  function show(inputs) {
    rule.value = inputs.rule;
    large.checked = !!inputs.large;
    offer(inputs.processes);
    procs.value = String(inputs.processes);
  }
  const host = simHost(model, {
    onState(rec, inputs, key) {
      picture.innerHTML = guestDraw(T, host.spec, rec, inputs);
      show(inputs);
      strip.clear();
      Object.assign(root.dataset, {
        stateKey: key, rule: rec.rule.name, large: rec.large ? "1" : "0", processes: String(rec.processes),
        shadowPages: String(rec.census.total), overheadBytes: String(rec.overhead.shadow_bytes),
        verdict: rec.verdict.verdict,
      });
    },
    onStatus: strip.set,
  });
  const pick = () => host.select({ rule: rule.value, large: large.checked, processes: Number(procs.value) });
  rule.addEventListener("change", pick);
  large.addEventListener("change", pick);
  procs.addEventListener("change", pick);
  host.initial();
  return () => host.dispose();
}
