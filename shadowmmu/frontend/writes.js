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
import { simElement, simHost, stepper } from "./sim.js";

const WR_FONT = "ui-monospace,SFMono-Regular,Menlo,Consolas,monospace";
const WR_WIDTH = 960;

function wrEsc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function wrText(x, y, s, { size = 12, weight = "normal", fill = "#000", anchor = "start", extra = "" } = {}) {
  return `<text x="${x}" y="${y}" font-size="${size}" font-weight="${weight}" fill="${fill}" text-anchor="${anchor}"${extra}>${wrEsc(s)}</text>`;
}

function wrBox(x, y, w, h, { fill = "#fff", stroke = "#000", sw = 1, dash = "", extra = "" } = {}) {
  const d = dash ? ` stroke-dasharray="${dash}"` : "";
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="2" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"${d}${extra}/>`;
}

// Words into lines of at most `width` characters (monospace).
function wrWrap(words, width) {
  const lines = [];
  for (const w of String(words).split(" ")) {
    const n = lines.length;
    if (n && lines[n - 1].length + 1 + w.length <= width) lines[n - 1] += " " + w;
    else lines.push(w);
  }
  return lines;
}

// Text cut to at most n characters at a space, with "…": never half a number.
export function wrFit(text, n) {
  if (text.length <= n) return text;
  const cut = text.lastIndexOf(" ", n - 2);
  return cut > 0 ? text.slice(0, cut) + " …" : text.slice(0, n - 1) + "…";
}

export function wrHex(v, digits) {
  return "0x" + v.toString(16).toUpperCase().padStart(digits, "0");
}

function wrGpa(v) {
  return v === null || v === undefined ? "none" : wrHex(v, 8);
}

// The step's stale translation as data-stale says it ("" when there is none).
export function wrStale(step) {
  const s = step.stale;
  return s ? `va=${wrHex(s.va, 8)} shadow=${wrGpa(s.shadow)} guest=${wrGpa(s.guest)}` : "";
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
  const shown = rows.slice(0, 4), h = 50 + 16 * Math.max(1, shown.length + (rows.length > 4 ? 1 : 0));
  let o = `<g data-page="${wrEsc(p.id)}"${focus ? ' class="smmu-hot"' : ""}>`
    + wrBox(x, y, w, h, { fill: gone ? "url(#wr-hatch)" : skipped ? "#f2f2f2" : "#fff", stroke: cq, sw: focus ? 4 : 2, dash: skipped ? "5 3" : "" })
    + wrText(x + 6, y + 15, `${p.id} (role ${p.role}): bytes ${wrHex(p.byte_lo, 3)}-${wrHex(p.byte_hi, 3)}`, { size: 12, weight: "bold" })
    + wrText(x + 6, y + 30, `guest entries ${p.first_gpte}-${p.first_gpte + p.nr_gptes - 1}`, { size: 11 })
    + wrText(x + 6, y + 44, tags.join(" · ") || "not reached yet", { size: 11, weight: gone || skipped ? "bold" : "normal" });
  if (gone) o += `<line x1="${x}" y1="${y}" x2="${x + w}" y2="${y + h}" stroke="#000" stroke-width="2"/>`;
  if (!shown.length) o += wrText(x + 6, y + 60, gone ? "(emptied)" : "no present sPTEs", { size: 11 });
  shown.forEach((r, i) => {
    const ry = y + 50 + 16 * i, hot = step.focus.includes(r.id);
    o += `<g${r.id ? ` data-spte="${wrEsc(r.id)}"` : ""}${r.zap ? ' data-zapped="1"' : ""}>`
      + wrBox(x + 4, ry, w - 8, 14, { fill: r.zap ? C.spte : "#fff", stroke: cs, sw: hot ? 3 : 1 })
      + wrText(x + 8, ry + 11, wrFit(r.text, Math.floor((w - 16) / 6.7)), { size: 11, weight: r.zap || hot ? "bold" : "normal" }) + "</g>";
  });
  if (rows.length > 4) o += wrText(x + 6, y + 50 + 16 * 4 + 11, `… and ${rows.length - 4} more`, { size: 11 });
  return { svg: o + "</g>", h };
}

// The guest table as a bar of 4096 bytes, cut into the parts its shadow pages cover.
function wrGuest(T, record, step, pages, y0) {
  const C = T.colours.field_colours, pd = record.inputs.table !== "pt";
  const cq = pd ? C.pd_quadrant : C.pt_quadrant, ce = pd ? C.guest_pde_index : C.guest_pte_index;
  const X = 10, W = 90, H = 256, scale = H / 4096, off = record.inputs.offset, size = record.inputs.size;
  let o = wrText(X, y0 - 6, `${record.table_name}, gfn ${wrHex(record.gfn, 3)}`, { size: 12, weight: "bold" });
  const seen = new Set();
  for (const p of pages) {
    if (seen.has(p.quadrant)) continue;
    seen.add(p.quadrant);
    const y = y0 + p.byte_lo * scale, h = (p.byte_hi + 1 - p.byte_lo) * scale;
    o += wrBox(X, y, W, h, { stroke: cq, sw: 2 }) + wrText(X + 4, y + 14, `${wrHex(p.byte_lo, 3)}-`, { size: 11 })
      + wrText(X + 4, y + 27, wrHex(p.byte_hi, 3), { size: 11 }) + wrText(X + 4, y + 40, `q${p.quadrant}`, { size: 11 });
  }
  const wy = y0 + off * scale, hot = step.focus.includes("guest:written");
  o += `<g data-guest="written">`
    + wrBox(X + W - 22, wy - 4, 34, 8, { fill: ce, stroke: ce, sw: hot ? 3 : 1 })
    + wrText(X + W + 16, wy + 4, `<- byte ${wrHex(off, 3)}, ${size} byte(s) written`, { size: 11, weight: hot ? "bold" : "normal" });
  step.state.entries.forEach((e, i) => {
    o += wrText(X + W + 10, wy + 18 + 14 * i, `entry ${e.index} = ${wrHex(e.value, 8)}`, { size: 11 });
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
  const title = `guest store: ${I.size} byte(s) at byte ${wrHex(I.offset, 3)} of the ${record.table_name}, step ${at + 1} of ${record.steps.length}`;
  const y0 = 72, GX = 340, cols = pd ? 2 : 2, PW = (WR_WIDTH - GX - 10) / cols - 8;
  let body = wrText(10, 16, `${insn}${I.size}-byte store of ${wrHex(record.value, 2 * I.size)} at byte ${wrHex(I.offset, 3)} of the ${record.table_name} (VA ${wrHex(record.va, 8)})${mode}${I.stores > 1 ? `; ${I.stores} identical stores` : ""}`, { size: 12, weight: "bold" })
    + wrText(10, 34, `step ${at + 1} of ${record.steps.length}: ${step.title}`, { size: 13, weight: "bold" });
  body += wrGuest(T, record, step, Object.values(record.pages), y0 + 8);
  body += wrText(GX, y0 - 14, `shadow pages of gfn ${wrHex(record.gfn, 3)} (8-byte sPTEs). Dashed: skipped for quadrant;`, { size: 11 })
    + wrText(GX, y0, "hatched and crossed: zapped whole; yellow row: a zapped sPTE", { size: 11 });
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
      + wrBox(10, y, WR_WIDTH - 20, 38, { stroke: "#000", sw: stale ? 3 : 1, dash: stale ? "8 4" : "" })
      + wrText(16, y + 15, `ShadowMMU.translate(${wrHex(tr.va, 8)}): before ${wrGpa(tr.before)}, now ${wrGpa(tr.shadow)}; the guest's own walk: ${wrGpa(tr.guest)}`, { size: 12, weight: "bold" })
      + wrText(16, y + 31, stale ? `STALE: the shadow still gives the old frame until the guest flushes this address (${stale.permitted ? "allowed, as a TLB may hold it" : "NOT allowed"})` : "nothing stale", { size: 12, weight: stale ? "bold" : "normal" })
      + "</g>";
    y += 48;
  }
  const lines = wrWrap(step.text, 128);
  lines.forEach((l, i) => { body += wrText(10, y + 14 + 16 * i, l, { size: 12 }); });
  y += 16 * lines.length + 8;
  step.events.forEach((e, i) => { body += wrText(10, y + 12 + 14 * i, `event: ${e}`.slice(0, 140), { size: 11, fill: "#333" }); });
  y += 14 * step.events.length + 10;
  const hatch = `<pattern id="wr-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff"/><line x1="0" y1="0" x2="0" y2="8" stroke="#ccc" stroke-width="2"/></pattern>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="smmu-svg" viewBox="0 0 ${WR_WIDTH} ${y}" width="${WR_WIDTH}" height="${y}" role="img" aria-label="${wrEsc(title)}" font-family="${WR_FONT}" style="max-width:100%;height:auto;background:#fff"><defs>${hatch}</defs><title>${wrEsc(title)}</title>${body}</svg>`;
}

// ---------------------------------------------------------------- the page

export function wrParseOffset(T, spec, text, size) {
  const lim = spec.offsets[String(size)];
  return parseAddress({ ...T.parser, va_max: lim.max, valid_range: lim.valid_range, example: "0x800" }, text, "byte offset");
}

export function render({ model, el }) {
  const T = model.get("tables"), spec = model.get("spec");
  let inputs = { ...model.get("inputs") }, record = null, steps = null;
  const root = simElement("div", { class: "smmu-explorer smmu-write-explorer", "data-explorer": "guest-write", "data-status": "" });
  const pick = (cls, attr, values, label) => values.map(([v, text]) => simElement("button", {
    type: "button", class: cls, [`data-${attr}`]: String(v), text, "aria-label": `${label} ${text}` }));
  const tableButtons = pick("smmu-table-choice", "table", Object.entries(spec.tables), "store into the");
  const offset = simElement("input", { type: "text", class: "smmu-offset", "aria-label": "byte offset in the table (hex like 0x800, or decimal); Enter to apply", size: 8 });
  const sizeButtons = pick("smmu-size", "size", spec.sizes.map((s) => [s, `${s} B`]), "store size");
  const unsync = simElement("input", { type: "checkbox", class: "smmu-unsync", id: `smmu-unsync-${Math.random().toString(36).slice(2)}` });
  const unsyncLabel = simElement("label", { for: unsync.id, text: "page tables may go unsync (off: write-tracked)" });
  const storeButtons = pick("smmu-stores", "stores", [[1, "1 store"], [spec.max_stores, `${spec.max_stores} stores`]], "make");
  const presets = spec.write_presets.map((p) => simElement("button", {
    type: "button", "data-select-store": `${p.table}:${wrHex(p.offset, 3)}:${p.size}:${p.stores}`, text: p.label }));
  const prev = simElement("button", { type: "button", class: "smmu-step-prev", text: "◀ previous step" });
  const next = simElement("button", { type: "button", class: "smmu-step-next", text: "next step ▶" });
  const end = simElement("button", { type: "button", class: "smmu-step-end", text: "show all" });
  const error = simElement("div", { class: "smmu-error", role: "alert", hidden: true });
  const status = simElement("div", { class: "smmu-status", role: "status" });
  const question = simElement("div", { class: "smmu-predict smmu-question", hidden: true });
  const verdict = simElement("div", { class: "smmu-verdict", "aria-live": "polite" });
  const picture = simElement("div", { class: "smmu-picture" });
  root.append(
    simElement("div", { class: "smmu-controls" }, [simElement("span", { text: "store into:" }), ...tableButtons,
      simElement("label", { text: "byte " }), offset, ...sizeButtons]),
    simElement("div", { class: "smmu-controls" }, [unsync, unsyncLabel, ...storeButtons]),
    simElement("div", { class: "smmu-controls smmu-presets" }, [simElement("span", { text: "presets:" }), ...presets]),
    error, status,
    simElement("div", { class: "smmu-controls" }, [prev, next, end]), question, verdict, picture);
  el.append(root);

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    root.dataset.status = "error";
  }

  function draw() {
    const at = steps.at, step = record.steps[at];
    picture.innerHTML = drawWrite(T, spec, record, record.inputs, at);
    const I = record.inputs;
    Object.assign(root.dataset, {
      step: String(at), steps: String(steps.count), table: I.table, offset: wrHex(I.offset, 3),
      size: String(I.size), unsync: String(I.unsync), stores: String(I.stores), action: record.action,
      zapped: step.zapped.join(" "), visited: step.visited.join(" "), skipped: step.skipped.join(" "),
      asking: steps.asking === null ? "" : String(steps.asking) });
    if (step.stale) root.dataset.stale = wrStale(step);
    else delete root.dataset.stale;
    prev.disabled = at === 0 && steps.asking === null;
    next.disabled = at >= steps.count - 1 || steps.asking !== null;
    for (const b of tableButtons) b.setAttribute("aria-pressed", String(b.dataset.table === I.table));
    for (const b of sizeButtons) b.setAttribute("aria-pressed", String(Number(b.dataset.size) === I.size));
    for (const b of storeButtons) b.setAttribute("aria-pressed", String(Number(b.dataset.stores) === I.stores));
    unsync.checked = I.unsync;
    if (document.activeElement !== offset) offset.value = wrHex(I.offset, 3);
    ask();
  }

  function ask() {
    question.replaceChildren();
    if (steps.asking === null) { question.hidden = true; return; }
    const p = record.steps[steps.asking].predict;
    question.hidden = false;
    question.append(simElement("div", { text: `Predict first: ${p.ask}` }),
      ...p.choices.map((c) => simElement("button", { type: "button", class: "smmu-predict-choice", "data-answer": c.value, text: c.label })),
      simElement("button", { type: "button", class: "smmu-predict-show", text: "just show me" }));
  }

  function onState(rec, ins, key) {
    record = rec;
    inputs = { ...ins };
    steps = stepper(rec.steps);
    error.hidden = true;
    verdict.textContent = "";
    delete root.dataset.verdict;
    root.dataset.stateKey = key;
    draw();
  }

  function onStatus(kind, text) {
    root.dataset.status = kind;
    status.textContent = text;
    if (kind === "error") fail(text);
  }

  const host = simHost(model, { onState, onStatus });

  function choose(change) {
    const want = { ...inputs, ...change };
    const parsed = wrParseOffset(T, spec, change.offsetText ?? wrHex(want.offset, 3), want.size);
    delete want.offsetText;
    if (!parsed.ok) { fail(parsed.message); return; }
    error.hidden = true;
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
  prev.addEventListener("click", () => { if (steps && steps.prev()) draw(); });
  next.addEventListener("click", () => { if (steps && steps.next()) draw(); });
  end.addEventListener("click", () => { if (steps) { steps.toEnd(); draw(); } });
  question.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (!b || !steps) return;
    const said = b.classList.contains("smmu-predict-show") ? null : b.dataset.answer;
    const n = steps.asking, p = record.steps[n].predict, v = steps.answer(said);
    root.dataset.verdict = v;
    const label = (value) => (p.choices.find((c) => c.value === value) || { label: value }).label;
    verdict.textContent = v === "right" ? `Right: ${label(p.answer)}.` : v === "wrong"
      ? `Not this time. You said: ${label(said)}. What KVM does: ${label(p.answer)}.` : `The answer: ${label(p.answer)}.`;
    draw();
    next.focus();
  });
  host.initial();
  return () => host.dispose();
}

