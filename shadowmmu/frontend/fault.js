// Notebook 06's page-fault explorer in the page: render({model, el}) and drawFault().
//
// The record (shadowmmu.states.fault.fault_record) holds the fault's steps in the
// kernel's order, each with its words, its focus keys and the index of the tree after
// it. This module only looks things up and draws: the steps are revealed one at a
// time by sim.js's stepper, which asks the reader first on the steps that carry a
// `predict` (the root, the level-1 quadrant). Future steps are never drawn.
//
// Testing contract: the root .smmu-explorer[data-explorer="page-fault"] carries
// data-step (0-based index of the step shown), data-steps, data-gpa ("0x%08X", once
// the leaf is installed), data-fault (once a guest #PF is injected),
// data-shadow-pages (pages in the cache at the step shown), data-asking (the step
// whose question is open, else ""), data-write/-process/-before, data-state-key,
// data-status and the address attributes of model.js explorerState. Controls:
// input.smmu-address (Enter re-runs, the same address too, from step 0),
// button[data-select-address], input.smmu-write-access (re-runs at once),
// select.smmu-process, select.smmu-before, button.smmu-step-prev / -next / -end,
// and, while a question is open, button.smmu-predict-answer[data-answer] and
// button.smmu-predict-show. Keys on the root: ArrowRight/ArrowLeft, End.
import { explorerState, hex, parseAddress } from "./model.js";
import { simElement, simHost, stepper } from "./sim.js";
import { drawTrees, treesDefs, treesEsc, TREES_WIDTH } from "./trees.js";

const FAULT_FONT = "ui-monospace,SFMono-Regular,Menlo,Consolas,monospace";
const FAULT_ATTRS = ["address", "guestPdeIndex", "guestPteIndex", "pageOffset", "pdpteIndex",
  "paePdeIndex", "paePteIndex", "pdQuadrant", "ptQuadrant"];
const FAULT_BEFORE = { "fresh": "fresh: empty shadow after the CR3 load", "after-p1": "after process 1 read it" };

function faultWrap(words, width) {
  const lines = [];
  for (const w of String(words).split(" ")) {
    const last = lines.length ? lines[lines.length - 1] : null;
    if (last !== null && last.length + 1 + w.length <= width) lines[lines.length - 1] = last + " " + w;
    else lines.push(w);
  }
  return lines;
}

function faultText(x, y, s, { size = 12, weight = "normal" } = {}) {
  return `<text x="${x}" y="${y}" font-size="${size}" font-weight="${weight}" fill="#000">${treesEsc(s)}</text>`;
}

export function faultWho(step) {
  if (step.kind === "walk") return step.who === "cpu" ? "CPU" : "KVM";
  return { start: "", exit: "CPU", done: "guest", inject: "KVM" }[step.kind] ?? "KVM";
}

// The picture of one step. view: {step (default: the last), asking (a step index or null)}.
export function drawFault(T, spec, record, inputs, view = {}) {
  const steps = record.steps;
  const at = view.step === undefined || view.step === null ? steps.length - 1 : view.step;
  const step = steps[at];
  const tree = record.trees[step.tree];
  const prev = at > 0 ? record.trees[steps[at - 1].tree] : null;
  const va = record.inputs.va;
  const head = `${hex(T, va)}: a ${record.inputs.write ? "write" : "read"} by process ${record.inputs.process + 1}, `
    + `${FAULT_BEFORE[record.inputs.before] || record.inputs.before}`;
  let o = faultText(10, 16, head, { size: 13, weight: "bold" });
  const who = faultWho(step);
  o += faultText(10, 34, `step ${at + 1} of ${steps.length}${who ? ` (${who})` : ""}: ${step.title}`, { weight: "bold" });
  const lines = faultWrap(step.text, 128);
  lines.forEach((l, i) => { o += faultText(10, 52 + 15 * i, l); });
  let y = 52 + 15 * lines.length;
  if (view.asking !== null && view.asking !== undefined) {
    o += faultText(10, y + 4, `next: step ${view.asking + 1} asks you first: ${steps[view.asking].predict.ask}`, { weight: "bold" });
    y += 18;
  }
  const d = drawTrees(T, tree, { focus: step.focus, prev, y0: y + 4 });
  o += d.svg;
  y += 4 + d.height + 6;
  o += faultText(10, y + 12, "steps so far:", { weight: "bold" });
  y += 18;
  const cols = 3, cw = (TREES_WIDTH - 20) / cols;
  for (let n = 0; n <= at; n++) {
    const s = steps[n], w = faultWho(s);
    const label = `${n + 1}. ${w ? w + ": " : ""}${s.title}`;
    o += faultText(10 + (n % cols) * cw, y + 12 + Math.floor(n / cols) * 15, label.slice(0, 46), { size: 11, weight: n === at ? "bold" : "normal" });
  }
  y += 15 * Math.ceil((at + 1) / cols) + 8;
  const title = `page fault at ${hex(T, va)}, step ${at + 1} of ${steps.length}: ${step.title}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="smmu-svg" viewBox="0 0 ${TREES_WIDTH} ${y}" width="${TREES_WIDTH}" height="${y}" role="img" aria-label="${treesEsc(title)}" font-family="${FAULT_FONT}" style="max-width:100%;height:auto;background:#fff">`
    + treesDefs() + `<title>${treesEsc(title)}</title>` + o + "</svg>";
}

export function render({ model, el }) {
  const T = model.get("tables");
  const spec = model.get("spec") || {};
  const addresses = [...new Set((spec.presets || []).map((p) => p.va))];
  const st = { record: null, inputs: model.get("inputs"), key: "", steps: null, said: new Map() };

  const root = simElement("div", { class: "smmu-explorer smmu-fault", "data-explorer": "page-fault", tabIndex: 0,
    "aria-label": "page-fault explorer; arrow keys step through the fault" });
  const box = simElement("input", { class: "smmu-address", type: "text", spellcheck: false,
    "aria-label": `address (${T.parser.valid_range}); Enter runs the fault` });
  const write = simElement("input", { class: "smmu-write-access", type: "checkbox", id: "smmu-write-" + Math.random().toString(36).slice(2) });
  const proc = simElement("select", { class: "smmu-process", "aria-label": "which process's CR3" });
  for (const [v, t] of [[0, "process 1"], [1, "process 2"]]) proc.append(simElement("option", { value: String(v), text: t }));
  const before = simElement("select", { class: "smmu-before", "aria-label": "the shadow before the access" });
  for (const [v, t] of Object.entries(FAULT_BEFORE)) before.append(simElement("option", { value: v, text: t }));
  const controls = simElement("div", { class: "smmu-controls" }, [
    simElement("label", { text: "address" }), box,
    simElement("label", { for: write.id }, [write, " write access"]), proc, before]);
  const presets = simElement("div", { class: "smmu-presets" });
  for (const va of addresses) presets.append(simElement("button", { type: "button", text: hex(T, va), "data-select-address": hex(T, va) }), " ");
  const error = simElement("span", { class: "smmu-error", role: "alert", hidden: true });
  const status = simElement("span", { class: "smmu-status", role: "status" });
  const prevB = simElement("button", { type: "button", class: "smmu-step-prev", text: "◀ previous step" });
  const nextB = simElement("button", { type: "button", class: "smmu-step-next", text: "next step ▶" });
  const endB = simElement("button", { type: "button", class: "smmu-step-end", text: "show all" });
  const count = simElement("span", { class: "smmu-step-count", role: "status" });
  const stepbar = simElement("div", { class: "smmu-stepbar" }, [prevB, " ", nextB, " ", endB, " ", count]);
  const predict = simElement("div", { class: "smmu-predict", hidden: true });
  const verdict = simElement("div", { class: "smmu-predict-verdict", role: "status" });
  const picture = simElement("div", { class: "smmu-picture" });
  root.append(controls, presets, error, status, stepbar, predict, verdict, picture);
  el.append(root);

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function paint() {
    const rec = st.record;
    if (!rec) return;
    const s = st.steps, step = rec.steps[s.at];
    picture.innerHTML = drawFault(T, spec, rec, st.inputs, { step: s.at, asking: s.asking });
    const ds = root.dataset;
    ds.step = String(s.at);
    ds.steps = String(s.count);
    ds.shadowPages = String(step.shadow_pages);
    if (step.gpa !== null && step.gpa !== undefined) ds.gpa = hex(T, step.gpa); else delete ds.gpa;
    if (step.fault) ds.fault = step.fault; else delete ds.fault;
    ds.asking = s.asking === null ? "" : String(s.asking);
    ds.write = st.inputs.write ? "1" : "0";
    ds.process = String(st.inputs.process);
    ds.before = st.inputs.before;
    ds.stateKey = st.key;
    const e = explorerState(T, st.inputs.va);
    for (const a of FAULT_ATTRS) ds[a] = String(e[a]);
    count.textContent = `step ${s.at + 1} of ${s.count}`;
    prevB.disabled = s.at === 0 && s.asking === null;
    nextB.disabled = s.asking !== null || s.at >= s.count - 1;
    endB.disabled = s.at >= s.count - 1 && s.asking === null;
    paintPredict();
  }

  function paintPredict() {
    const s = st.steps, rec = st.record;
    predict.replaceChildren();
    if (s.asking !== null) {
      const p = rec.steps[s.asking].predict;
      predict.append(simElement("span", { class: "smmu-predict-question", text: p.ask }), " ");
      for (const c of p.choices) {
        predict.append(simElement("button", { type: "button", class: "smmu-predict-answer", "data-answer": String(c.value), text: c.label }), " ");
      }
      predict.append(simElement("button", { type: "button", class: "smmu-predict-show", text: "just show me" }));
      predict.hidden = false;
      verdict.textContent = "";
      delete root.dataset.predict;
      return;
    }
    predict.hidden = true;
    const v = s.verdict(s.at), p = rec.steps[s.at].predict;
    if (v && p) {
      const said = p.choices.find((c) => c.value === v.said);
      verdict.textContent = v.verdict === "right" ? `right: ${p.explain}`
        : v.verdict === "wrong" ? `not quite: you said ${said ? said.label : v.said}. ${p.explain}` : `answer: ${p.explain}`;
      root.dataset.predict = v.verdict;
    } else {
      verdict.textContent = "";
      delete root.dataset.predict;
    }
  }

  function onState(rec, inputs, key) {
    st.record = rec;
    st.inputs = inputs;
    st.key = key;
    st.steps = stepper(rec.steps);  // a new run starts at step 0, its questions unanswered
    box.value = hex(T, inputs.va);
    write.checked = !!inputs.write;
    proc.value = String(inputs.process);
    before.value = inputs.before;
    showError("");
    paint();
  }

  function onStatus(kind, text) {
    root.dataset.status = kind;
    status.textContent = kind === "error" ? "" : text;
    if (kind === "error") showError(text);
  }

  const host = simHost(model, { onState, onStatus });

  function run(changes) {
    showError("");
    host.select({ ...st.inputs, ...changes });
  }

  function move(how) {
    const s = st.steps;
    if (!s) return;
    if (how === "next") s.next();
    else if (how === "prev") s.prev();
    else if (how === "end") s.toEnd();
    paint();
  }

  box.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const r = parseAddress(T.parser, box.value);
    if (r.ok) run({ va: r.value });
    else showError(r.message);  // the picture and its data-* stay as they were
  });
  write.addEventListener("change", () => run({ write: write.checked }));
  proc.addEventListener("change", () => run({ process: Number(proc.value) }));
  before.addEventListener("change", () => run({ before: before.value }));

  root.addEventListener("click", (ev) => {
    const t = ev.target.closest("button");
    if (!t || !root.contains(t)) return;
    if (t.hasAttribute("data-select-address")) {
      const r = parseAddress(T.parser, t.getAttribute("data-select-address"));
      if (r.ok) run({ va: r.value });
    } else if (t.classList.contains("smmu-step-next")) move("next");
    else if (t.classList.contains("smmu-step-prev")) move("prev");
    else if (t.classList.contains("smmu-step-end")) move("end");
    else if (t.classList.contains("smmu-predict-answer") || t.classList.contains("smmu-predict-show")) {
      st.steps.answer(t.classList.contains("smmu-predict-show") ? null : Number(t.getAttribute("data-answer")));
      paint();
      root.focus({ preventScroll: true });  // the buttons are gone: keep the keyboard here
    }
  });

  root.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") return;
    const how = { ArrowRight: "next", ArrowLeft: "prev", End: "end" }[ev.key];
    if (how) {
      ev.preventDefault();
      move(how);
    }
  });

  host.initial();
  return () => host.dispose();
}

export default { render };
