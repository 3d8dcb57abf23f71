// Notebook 08's whole-guest explorer: the Linux-like guest under one quadrant rule,
// host large pages on or off, 1..N processes. render({model, el}) for anywidget and
// guestDraw(tables, spec, record, inputs), the pure drawing (no DOM; node runs it
// for the static picture).
//
// The record is shadowmmu.states.whole_guest's: every count, byte total and map
// position was computed in Python by the simulator; this module looks them up and
// draws them. Every toggle answers in the same frame from the precomputed `states`
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
import { simElement, simHost } from "./sim.js";

function guestEsc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function guestGroup(n) {  // 94208 -> "94,208" (digit grouping only)
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

const GUEST_FONT = 'font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"';
const GUEST_CENSUS = { label: 232, cell: 56, row: 20, head: 20 };

function guestText(x, y, s, extra = "", size = 12) {
  return `<text x="${x}" y="${y}" font-size="${size}" ${extra}>${guestEsc(s)}</text>`;
}

function guestCensus(rec, y0) {
  const C = GUEST_CENSUS, c = rec.census;
  let out = guestText(0, y0 + 14, "shadow pages by role.quadrant", 'font-weight="bold"');
  for (let q = 0; q < 4; q++) out += guestText(C.label + q * C.cell + 4, y0 + 14, `q${q}`);
  out += guestText(C.label + 4 * C.cell + 4, y0 + 14, "total");
  let y = y0 + C.head;
  const cell = (x, count, attrs, bold) => `<g class="smmu-census-cell" ${attrs} data-count="${count}">`
    + `<rect x="${x}" y="${y}" width="${C.cell}" height="${C.row}" fill="${count ? "#fff" : "#f2f2f2"}" stroke="#999"/>`
    + guestText(x + C.cell - 6, y + 15, count, `text-anchor="end"${bold ? ' font-weight="bold"' : ""}`) + "</g>";
  for (const r of c.rows) {
    out += guestText(0, y + 15, `${r.label} (L${r.level})`);
    for (const k of r.cells) {
      out += cell(C.label + k.quadrant * C.cell, k.count,
        `data-level="${r.level}" data-direct="${r.direct ? 1 : 0}" data-quadrant="${k.quadrant}"`, false);
    }
    out += cell(C.label + 4 * C.cell, r.total, `data-level="${r.level}" data-direct="${r.direct ? 1 : 0}" data-quadrant="all"`, true);
    y += C.row;
  }
  out += guestText(0, y + 15, "all shadow pages");
  out += cell(C.label + 4 * C.cell, c.total, 'data-level="all" data-quadrant="all"', true);
  return { svg: out, y: y + C.row };
}

function guestSummary(rec, y0) {
  const o = rec.overhead, v = rec.verdict;
  const lines = [
    [`memory: ${o.shadow_pages} shadow pages x 4 KiB = ${guestGroup(o.shadow_bytes)} B, against ${o.guest_table_frames} `
      + `guest page-table frames = ${guestGroup(o.guest_table_bytes)} B (${o.ratio_text}x)`, ""],
    [`${o.leaf_sptes} leaf sPTEs (${o.large_sptes} of them 2 MiB), ${o.faults} shadow page faults`, ""],
    v.verdict === "right"
      ? [`check(): RIGHT. ${v.text}`, 'class="smmu-verdict" data-verdict="right"']
      : [`check(): WRONG after ${v.process} ran. ${v.text}`, 'class="smmu-verdict" data-verdict="wrong" font-weight="bold"'],
  ];
  let out = "", y = y0;
  for (const [s, extra] of lines) {
    y += 16;
    out += guestText(0, y, s, extra, 11);
  }
  for (const s of rec.switch) {
    y += 16;
    const reused = s.reused.length ? s.reused.map((r) => `${r.count} x ${r.kind}`).join(", ") : "nothing";
    out += guestText(0, y, `${s.process}: ${s.created} shadow pages made; found in the cache: ${reused}`,
      `class="smmu-switch" data-process="${guestEsc(s.process)}" data-created="${s.created}" data-reused="${s.reused_total}"`, 11);
  }
  return { svg: out, y: y + 10 };
}

function guestMap(rec, y0) {
  const M = rec.map;
  let out = "";
  for (const s of M.strips) {
    const y = y0 + s.y;
    out += guestText(0, y + 12, `PD quadrant ${s.quadrant}: pae_root[${s.quadrant}], VA ${s.va}-${s.va_end} (a PAE page directory per process)`,
      'font-weight="bold"', 11);
    for (const slot of s.slots) if (slot.tick) out += `<text x="${slot.x + 1}" y="${y + 27}" font-size="11">${slot.tick}</text>`;
    const top = y + M.head_h, bottom = y + s.h;
    for (const g of s.gaps) {
      out += `<g class="smmu-map-gap" data-slots="${g.slots}"><title>${g.slots} empty 2 MiB slots, ${g.va}-${g.va_end}</title>`
        + `<rect x="${g.x + 2}" y="${top}" width="${g.w - 4}" height="${bottom - top}" fill="url(#smmu-gap)" stroke="#999"/>`
        + `<text x="${g.x + g.w / 2}" y="${top + 13}" font-size="11" text-anchor="middle" paint-order="stroke" stroke="#fff" stroke-width="3">${g.slots}</text></g>`;
    }
    for (const row of s.rows) {
      const ry = y0 + row.y;
      out += guestText(0, ry + M.text_dy + 8, row.label);
      row.cells.forEach((c, n) => {
        const slot = s.slots[n];
        const page = c.cover === undefined ? null : M.pages[c.cover];
        const label = page ? page.label : "";
        const tip = `${row.label}, slot ${slot.index} (${slot.va}): ${page ? `${label}, made by ${page.created_by}` : "no shadow page"}`
          + (c.wrong ? `; ${c.wrong} sPTEs disagree with the guest` : "");
        out += `<g class="smmu-map-cell" data-quadrant="${s.quadrant}" data-slot="${slot.index}" data-process="${guestEsc(row.label)}"`
          + ` data-cover="${guestEsc(label)}" data-reused="${c.reused ? 1 : 0}" data-wrong="${c.wrong || 0}"><title>${guestEsc(tip)}</title>`
          + `<rect x="${slot.x}" y="${ry + 1}" width="${slot.w}" height="${M.row_h - 2}" fill="${c.reused ? "url(#smmu-reused)" : "#fff"}" stroke="#999"/>`;
        const mark = (c.mark || label) + (c.wrong ? ` x${c.wrong}` : "");
        if (mark) {
          const anchor = slot.kind === "large" ? `x="${slot.x + slot.w / 2}" text-anchor="middle"` : `x="${slot.x + 3}"`;
          out += `<text ${anchor} y="${ry + M.text_dy}" font-size="11">${guestEsc(mark)}</text>`;
        }
        for (const [x, w] of c.guest) out += `<rect class="smmu-guest-run" x="${x}" y="${ry + M.guest_dy}" width="${w}" height="${M.bar_h}" fill="#000"/>`;
        for (const [x, w, ok] of c.shadow) {
          out += `<rect class="smmu-spte-run" data-ok="${ok}" x="${x}" y="${ry + M.shadow_dy}" width="${w}" height="${M.bar_h}"`
            + ` fill="${ok ? "#000" : "url(#smmu-wrong)"}" stroke="#000" stroke-width="${ok ? 0 : 1}"/>`;
        }
        out += "</g>";
      });
    }
  }
  const ly = y0 + M.height + 16;
  const legend = [
    "Each row: the process's guest mappings (upper bar) and present leaf sPTEs (lower bar) in each 2 MiB slot",
    "(one PAE PDE). Wide slots hold 4 KiB pages (their shadow page table named); narrow ones half a 4 MiB",
    "guest page: 2M = a 2 MiB leaf in the root, D0/D1 = a direct page of role.quadrant 0/1. Hatched: a page",
    "found in the cache (made by an earlier process). Cross-hatched sPTEs (xN: N pages) disagree with the",
    `guest's walk. Grey boxes: runs of empty slots (their count). Inside a slot the 512 pages are to scale;`,
    `no mark is drawn narrower than ${M.min_mark_w} px.`,
  ];
  legend.forEach((s, i) => { out += `<text x="0" y="${ly + i * 15}" font-size="11">${guestEsc(s)}</text>`; });
  return { svg: out, y: ly + legend.length * 15 };
}

const GUEST_DEFS = "<defs>"
  + '<pattern id="smmu-gap" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#eee"/></pattern>'
  + '<pattern id="smmu-reused" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
  + '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="2"/></pattern>'
  + '<pattern id="smmu-wrong" width="4" height="4" patternUnits="userSpaceOnUse">'
  + '<rect width="4" height="4" fill="#fff"/><path d="M0 0L4 4M4 0L0 4" stroke="#000" stroke-width="1"/></pattern></defs>';

function guestSvg(rec, body, height, label) {
  const width = Math.max(rec.map.width, 780) + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="smmu-guest-picture" width="${width}" height="${height}" `
    + `viewBox="0 0 ${width} ${height}" ${GUEST_FONT} role="img" aria-label="${label}">${GUEST_DEFS}${body}</svg>`;
}

function guestHead(rec) {
  const r = rec.rule;
  return guestText(0, 14, `rule ${r.name} (${r.formula})${r.correct ? "" : ", the misconception"}; host large pages `
    + `${rec.large ? "on" : "off"}; ${rec.processes} process${rec.processes === 1 ? "" : "es"}; ${rec.mem_mib} MiB`, 'font-weight="bold"');
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
  const root = simElement("div", { class: "smmu-explorer smmu-guest", "data-explorer": "whole-guest", "data-status": "" });
  const rule = simElement("select", { class: "smmu-rule", "aria-label": "quadrant rule" });
  for (const name of T.rule_order) {
    rule.append(simElement("option", { value: name, text: `${name}${T.rules[name].correct ? "" : " (wrong)"}` }));
  }
  const large = simElement("input", { class: "smmu-large", type: "checkbox", id: `smmu-large-${Math.random().toString(36).slice(2)}` });
  const procs = simElement("select", { class: "smmu-processes", "aria-label": "processes" });
  const offer = (n) => {
    if (![...procs.options].some((o) => Number(o.value) === n)) procs.append(simElement("option", { value: String(n), text: String(n) }));
  };
  for (const n of choices.processes || []) offer(n);
  const controls = simElement("div", { class: "smmu-controls" }, [
    simElement("label", { text: "rule" }), rule,
    simElement("label", { for: large.id }, [large, document.createTextNode(" host large pages")]),
    simElement("label", { text: "processes" }), procs,
  ]);
  const error = simElement("div", { class: "smmu-error", role: "alert", hidden: true });
  const status = simElement("div", { class: "smmu-status", hidden: true });
  const picture = simElement("div", { class: "smmu-picture" });
  const note = simElement("div", { class: "smmu-note", text: choices.note || "" });
  root.append(controls, error, status, picture, note);
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
      Object.assign(root.dataset, {
        stateKey: key, rule: rec.rule.name, large: rec.large ? "1" : "0", processes: String(rec.processes),
        shadowPages: String(rec.census.total), overheadBytes: String(rec.overhead.shadow_bytes),
        verdict: rec.verdict.verdict,
      });
    },
    onStatus(kind, text) {
      root.dataset.status = kind;
      error.hidden = kind !== "error";
      error.textContent = kind === "error" ? text : "";
      status.hidden = !kind || kind === "error";
      status.textContent = kind && kind !== "error" ? text : "";
    },
  });
  const pick = () => host.select({ rule: rule.value, large: large.checked, processes: Number(procs.value) });
  rule.addEventListener("change", pick);
  large.addEventListener("change", pick);
  procs.addEventListener("change", pick);
  host.initial();
  return () => host.dispose();
}
