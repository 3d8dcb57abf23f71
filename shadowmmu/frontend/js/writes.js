// Notebook 07's write explorer: a guest store into its page table or directory, step by step.
//
// The record (shadowmmu.states.writes.write_record) holds every number; this module
// draws one step of it and runs the controls. drawWrite(T, spec, record, inputs, at)
// is pure (no DOM): node draws the static picture with it.
//
// Testing contract: the root .smmu-explorer[data-explorer="guest-write"] carries
//   data-step, data-steps        the step shown (0-based) and how many there are
//   data-state-key, data-status  as every simulator explorer (sim.js)
//   data-table ("pt"|"pd"|"freed_pd"), data-offset ("0x%03X"), data-size, data-unsync ("true"|"false"),
//   data-stores                  the store shown ("freed_pd": a freed page directory, cleared by rep stos)
//   data-action                  how KVM took the (first) store: emulate | unsync | store | unprotect
//   data-zapped                  sPTEs zapped so far, space-separated ids "<page>:<index>";
//                                a page id is its role without the space ("L1q0", "L2q3"),
//                                "+" per reload ("L2q0+": the root loaded after L2q0 was zapped)
//   data-visited, data-skipped   shadow pages the write path reached / skipped for quadrant so far
//   data-stale                   only while the shadow gives a stale translation:
//                                "va=0x%08X shadow=0x%08X guest=0x%08X|none"
//   data-asking                  the step whose question is open ("" when none)
//   data-verdict                 the last answer's verdict: right | wrong | shown
// Controls: button.smmu-table-choice[data-table], input.smmu-offset (Enter commits),
// button.smmu-size[data-size], input.smmu-unsync, button.smmu-stores[data-stores],
// button[data-select-store="table:0xOFF:size:stores"], button.smmu-step-prev / -next / -end,
// and while a question is open button.smmu-predict-choice[data-answer] and .smmu-predict-show.
import { parseAddress } from "./model.js";
import { checkbox, element } from "./dom.js";
import { gpaOf, hexOf } from "./format.js";
import { predictBox } from "./predict.js";
import { simHost } from "./sim.js";
import { statusStrip } from "./status.js";
import { stepBar, stepper } from "./stepper.js";
import { charsIn, esc, fit, line, rect, svgDoc, text, wrap, WIDTH } from "./svg.js";

// The step's stale translation as data-stale says it ("" when there is none).
export function wrStale(step) {
  const s = step.stale;
  return s ? `va=${hexOf(s.va, 8)} shadow=${gpaOf(s.shadow)} guest=${gpaOf(s.guest)}` : "";
}

// One box per quadrant: the live page, else the last zapped one (crossed out); a live
// page loaded after a zap names the page it replaces.
function wrShown(record, step) {
  const byQ = new Map();
  for (const p of step.state.pages) {
    const page = { ...record.pages[p.id], ...p }, cur = byQ.get(page.quadrant);
    if (!cur) byQ.set(page.quadrant, page);
    else if (p.gone === null) byQ.set(page.quadrant, { ...page, replaces: cur.gone !== null ? cur : cur.replaces });
    else if (cur.gone !== null) byQ.set(page.quadrant, page);
    else cur.replaces = page;
  }
  return [...byQ.values()].sort((a, b) => a.quadrant - b.quadrant);
}

// What an sPTE held the last time a step showed it present (for a zapped one).
function wrWas(record, at, id) {
  const [pid, index] = id.split(":");
  for (let n = at; n >= 0; n--) {
    const p = record.steps[n].state.pages.find((q) => q.id === pid);
    const s = p && p.sptes.find((x) => String(x.index) === index);
    if (s) return s.what;
  }
  return "";
}

function wrPage(T, record, step, at, p, x, y, w) {
  const C = T.colours.field_colours, pd = record.inputs.table !== "pt";
  const cq = pd ? C.pd_quadrant : C.pt_quadrant, cs = pd ? C.shadow_pde_index : C.shadow_pte_index;
  const focus = step.focus.includes(p.id), gone = p.gone !== null;
  const skipped = step.skipped.includes(p.id), visited = step.visited.includes(p.id);
  const tags = [];
  if (gone) tags.push(`ZAPPED WHOLE: ${p.gone}`);
  else if (skipped) tags.push("SKIPPED: other quadrant");
  else if (visited) tags.push("visited");
  if (p.unsync) tags.push("unsync");
  if (p.root) tags.push("root in use");
  if (p.level === 2 && !gone) tags.push(`flooding ${p.flooding}/3`);
  if (p.id.endsWith("+") && !gone) tags.push("new root");
  const mine = [p.id].concat(p.replaces ? [p.replaces.id] : []);
  const zappedHere = step.zapped.filter((z) => mine.includes(z.split(":")[0]));
  const rows = p.sptes.map((s) => ({ id: `${p.id}:${s.index}`, text: `sPTE ${s.index}: ${s.what}`, zap: false }))
    .concat(zappedHere.filter((z) => !p.sptes.some((s) => `${p.id}:${s.index}` === z))
      .map((z) => ({ id: z, text: `${z} ZAPPED (was ${wrWas(record, at, z)})`, zap: true })));
  if (p.replaces) rows.unshift({ id: "", text: `replaces ${p.replaces.id}: ${p.replaces.gone}`, zap: false });
  const tagLines = wrap(tags.join(" · ") || "not reached yet", charsIn(w - 12, 11)), top = 36 + 14 * tagLines.length;
  const shown = rows.slice(0, 4), h = top + 16 * Math.max(1, shown.length + (rows.length > 4 ? 1 : 0));
  let o = `<g data-page="${esc(p.id)}"${focus ? ' class="smmu-hot"' : ""}>`
    + rect(x, y, w, h, { fill: gone ? "url(#wr-hatch)" : skipped ? "#f2f2f2" : "#fff", stroke: cq, sw: focus ? 4 : 2, dash: skipped ? "5 3" : "" })
    + text(x + 6, y + 15, `${p.id} (role ${p.role}): bytes ${hexOf(p.byte_lo, 3)}-${hexOf(p.byte_hi, 3)}`, { size: 12, weight: "bold" })
    + text(x + 6, y + 30, `guest entries ${p.first_gpte}-${p.first_gpte + p.nr_gptes - 1}`, { size: 11 })
    + tagLines.map((t, i) => text(x + 6, y + 44 + 14 * i, t, { size: 11, weight: gone || skipped ? "bold" : "normal" })).join("");
  if (gone) o += line(x, y, x + w, y + h, { sw: 2 });
  if (!shown.length) o += text(x + 6, y + top + 10, gone ? "(emptied)" : "no present sPTEs", { size: 11 });
  shown.forEach((r, i) => {
    const ry = y + top + 16 * i, hot = step.focus.includes(r.id);
    o += `<g${r.id ? ` data-spte="${esc(r.id)}"` : ""}${r.zap ? ' data-zapped="1"' : ""}>`
      + rect(x + 4, ry, w - 8, 14, { fill: r.zap ? C.spte : "#fff", stroke: cs, sw: hot ? 3 : 1 })
      + text(x + 8, ry + 11, fit(r.text, charsIn(w - 16, 11)), { size: 11, weight: r.zap || hot ? "bold" : "normal" }) + "</g>";
  });
  if (rows.length > 4) o += text(x + 6, y + top + 16 * 4 + 11, `… and ${rows.length - 4} more`, { size: 11 });
  return { svg: o + "</g>", h };
}

// The guest table as a bar of 4096 bytes, cut into the parts its shadow pages cover.
function wrGuest(T, record, step, pages, y0) {
  const C = T.colours.field_colours, pd = record.inputs.table !== "pt";
  const cq = pd ? C.pd_quadrant : C.pt_quadrant, ce = pd ? C.guest_pde_index : C.guest_pte_index;
  const X = 10, W = 90, H = 256, scale = H / 4096, off = record.inputs.offset, size = record.inputs.size;
  let o = text(X, y0 - 6, `${record.table_name}, gfn ${hexOf(record.gfn, 3)}`, { size: 12, weight: "bold" });
  const seen = new Set();
  for (const p of pages) {
    if (seen.has(p.quadrant)) continue;
    seen.add(p.quadrant);
    const y = y0 + p.byte_lo * scale, h = (p.byte_hi + 1 - p.byte_lo) * scale;
    o += rect(X, y, W, h, { stroke: cq, sw: 2 }) + text(X + 4, y + 14, `${hexOf(p.byte_lo, 3)}-`, { size: 11 })
      + text(X + 4, y + 27, hexOf(p.byte_hi, 3), { size: 11 }) + text(X + 4, y + 40, `q${p.quadrant}`, { size: 11 });
  }
  const wy = y0 + off * scale, hot = step.focus.includes("guest:written");
  o += `<g data-guest="written">`
    + rect(X + W - 22, wy - 4, 34, 8, { fill: ce, stroke: ce, sw: hot ? 3 : 1 })
    + text(X + W + 16, wy + 4, `<- byte ${hexOf(off, 3)}, ${size} byte(s) written`, { size: 11, weight: hot ? "bold" : "normal" });
  step.state.entries.forEach((e, i) => {
    o += text(X + W + 10, wy + 18 + 14 * i, `entry ${e.index} = ${hexOf(e.value, 8)}`, { size: 11 });
  });
  return o + "</g>";
}

// The picture of step `at` of a record (inputs: the store shown; they are the record's).
export function drawWrite(T, spec, record, inputs, at = 0) {
  const step = record.steps[at], I = record.inputs;
  const pages = wrShown(record, step), pd = I.table !== "pt";
  const stos = record.page_table_write === false;  // the unprotect path: no unsync switch to name
  const insn = stos ? "rep stos, not a page-table write: " : "";
  const mode = stos ? "" : `; ${I.unsync ? "page tables may go unsync" : "page tables write-tracked"}`;
  const title = `guest store: ${I.size} byte(s) at byte ${hexOf(I.offset, 3)} of the ${record.table_name}, step ${at + 1} of ${record.steps.length}`;
  const head = wrap(`${insn}${I.size}-byte store of ${hexOf(record.value, 2 * I.size)} at byte ${hexOf(I.offset, 3)} of the ${record.table_name} (VA ${hexOf(record.va, 8)})${mode}${I.stores > 1 ? `; ${I.stores} identical stores` : ""}`, charsIn(WIDTH - 20, 12));
  const dy = 16 * (head.length - 1), y0 = 72 + dy, GX = 340, cols = 2, PW = (WIDTH - GX - 10) / cols - 8;
  let body = head.map((t, i) => text(10, 16 + 16 * i, t, { size: 12, weight: "bold" })).join("")
    + text(10, 34 + dy, `step ${at + 1} of ${record.steps.length}: ${step.title}`, { size: 13, weight: "bold" });
  body += wrGuest(T, record, step, Object.values(record.pages), y0 + 8);
  body += text(GX, y0 - 14, `shadow pages of gfn ${hexOf(record.gfn, 3)} (8-byte sPTEs). Dashed: skipped for quadrant;`, { size: 11 })
    + text(GX, y0, "hatched and crossed: zapped whole; yellow row: a zapped sPTE", { size: 11 });
  let y = y0 + 8, rowH = 0;
  pages.forEach((p, i) => {
    const c = i % cols, x = GX + c * (PW + 8);
    if (c === 0 && i) { y += rowH + 8; rowH = 0; }
    const g = wrPage(T, record, step, at, p, x, y, PW);
    rowH = Math.max(rowH, g.h);
    body += g.svg;
  });
  y = Math.max(y + rowH + 14, y0 + 8 + 256 + 14);
  const tr = step.state.translation;
  if (tr) {
    const stale = step.stale;
    body += `<g data-translation="1"${step.focus.includes("stale") || step.focus.includes("translation") ? ' class="smmu-hot"' : ""}>`
      + rect(10, y, WIDTH - 20, 38, { stroke: "#000", sw: stale ? 3 : 1, dash: stale ? "8 4" : "" })
      + text(16, y + 15, `ShadowMMU.translate(${hexOf(tr.va, 8)}): before ${gpaOf(tr.before)}, now ${gpaOf(tr.shadow)}; the guest's own walk: ${gpaOf(tr.guest)}`, { size: 12, weight: "bold" })
      + text(16, y + 31, stale ? `STALE: the shadow still gives the old frame until the guest flushes this address (${stale.permitted ? "allowed, as a TLB may hold it" : "NOT allowed"})` : "nothing stale", { size: 12, weight: stale ? "bold" : "normal" })
      + "</g>";
    y += 48;
  }
  const lines = wrap(step.text, 128);
  lines.forEach((l, i) => { body += text(10, y + 14 + 16 * i, l, { size: 12 }); });
  y += 16 * lines.length + 8;
  step.events.forEach((e, i) => { body += text(10, y + 12 + 14 * i, `event: ${e}`.slice(0, 140), { size: 11, fill: "#333" }); });
  y += 14 * step.events.length + 10;
  const hatch = `<pattern id="wr-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff"/><line x1="0" y1="0" x2="0" y2="8" stroke="#ccc" stroke-width="2"/></pattern>`;
  return svgDoc(WIDTH, y, title, body, { defs: hatch });
}

// ---------------------------------------------------------------- the page

export function wrParseOffset(T, spec, text, size) {
  const lim = spec.offsets[String(size)];
  return parseAddress({ ...T.parser, va_max: lim.max, valid_range: lim.valid_range, example: "0x800" }, text, "byte offset");
}

export function render({ model, el }) {
  const T = model.get("tables"), spec = model.get("spec");
  let inputs = { ...model.get("inputs") }, record = null, steps = null;
  const root = element("div", { class: "smmu-explorer smmu-write-explorer", "data-explorer": "guest-write", "data-status": "" });
  const pick = (cls, attr, values, label) => values.map(([v, words]) => element("button", {
    type: "button", class: cls, [`data-${attr}`]: String(v), text: words, "aria-label": `${label} ${words}` }));
  const tableButtons = pick("smmu-table-choice", "table", Object.entries(spec.tables), "store into the");
  const offset = element("input", { type: "text", class: "smmu-offset", "aria-label": "byte offset in the table (hex like 0x800, or decimal); Enter to apply", size: 8 });
  const sizeButtons = pick("smmu-size", "size", spec.sizes.map((s) => [s, `${s} B`]), "store size");
  const [unsync, unsyncLabel] = checkbox("smmu-unsync", "page tables may go unsync (off: write-tracked)", "smmu-unsync");
  const storeButtons = pick("smmu-stores", "stores", [[1, "1 store"], [spec.max_stores, `${spec.max_stores} stores`]], "make");
  const presets = spec.write_presets.map((p) => element("button", {
    type: "button", "data-select-store": `${p.table}:${hexOf(p.offset, 3)}:${p.size}:${p.stores}`, text: p.label }));
  const strip = statusStrip(root);
  const bar = stepBar(() => steps, () => draw());
  const ask = predictBox({ choiceClass: "smmu-predict-choice" });
  const picture = element("div", { class: "smmu-picture" });
  root.append(
    element("div", { class: "smmu-controls" }, [element("span", { text: "store into:" }), ...tableButtons,
      element("label", { text: "byte " }), offset, ...sizeButtons]),
    element("div", { class: "smmu-controls" }, [unsync, unsyncLabel, ...storeButtons]),
    element("div", { class: "smmu-controls smmu-presets" }, [element("span", { text: "presets:" }), ...presets]),
    strip.error, strip.status, bar.bar, ask.box, ask.verdict, picture);
  el.append(root);

  function fail(message) {
    strip.refuse(message);
    root.dataset.status = "error";
  }

  function draw() {
    const at = steps.at, step = record.steps[at];
    picture.innerHTML = drawWrite(T, spec, record, record.inputs, at);
    const I = record.inputs;
    Object.assign(root.dataset, {
      step: String(at), steps: String(steps.count), table: I.table, offset: hexOf(I.offset, 3),
      size: String(I.size), unsync: String(I.unsync), stores: String(I.stores), action: record.action,
      zapped: step.zapped.join(" "), visited: step.visited.join(" "), skipped: step.skipped.join(" "),
      asking: steps.asking === null ? "" : String(steps.asking) });
    if (step.stale) root.dataset.stale = wrStale(step);
    else delete root.dataset.stale;
    bar.update(steps);
    for (const b of tableButtons) b.setAttribute("aria-pressed", String(b.dataset.table === I.table));
    for (const b of sizeButtons) b.setAttribute("aria-pressed", String(Number(b.dataset.size) === I.size));
    for (const b of storeButtons) b.setAttribute("aria-pressed", String(Number(b.dataset.stores) === I.stores));
    unsync.checked = I.unsync;
    if (document.activeElement !== offset) offset.value = hexOf(I.offset, 3);
    if (steps.asking === null) ask.close();
    else {
      const q = record.steps[steps.asking].predict;
      ask.ask({ ...q, ask: `Predict first: ${q.ask}` }, (said) => {
        const v = steps.answer(said);
        root.dataset.verdict = v;
        ask.say(q, v, said);
        draw();
        bar.next.focus();
      });
    }
  }

  function onState(rec, ins, key) {
    record = rec;
    inputs = { ...ins };
    steps = stepper(rec.steps);
    strip.clear();
    ask.say(null, null);
    delete root.dataset.verdict;
    root.dataset.stateKey = key;
    draw();
  }

  const host = simHost(model, { onState, onStatus: strip.set });

  function choose(change) {
    const want = { ...inputs, ...change };
    const parsed = wrParseOffset(T, spec, change.offsetText ?? hexOf(want.offset, 3), want.size);
    delete want.offsetText;
    if (!parsed.ok) { fail(parsed.message); return; }
    strip.clear();
    want.offset = parsed.value;
    host.select(want);
  }

  for (const b of tableButtons) b.addEventListener("click", () => choose({ table: b.dataset.table }));
  for (const b of sizeButtons) b.addEventListener("click", () => choose({ size: Number(b.dataset.size), offsetText: offset.value }));
  for (const b of storeButtons) b.addEventListener("click", () => choose({ stores: Number(b.dataset.stores) }));
  unsync.addEventListener("change", () => choose({ unsync: unsync.checked }));
  offset.addEventListener("keydown", (ev) => { if (ev.key === "Enter") choose({ offsetText: offset.value }); });
  for (const b of presets) {
    b.addEventListener("click", () => {
      const [table, off, size, stores] = b.dataset.selectStore.split(":");
      choose({ table, offsetText: off, size: Number(size), stores: Number(stores) });
    });
  }
  host.initial();
  return () => host.dispose();
}
