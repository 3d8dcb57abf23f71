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
import { checkbox, element } from "./dom.js";
import { predictBox } from "./predict.js";
import { simHost } from "./sim.js";
import { statusStrip } from "./status.js";
import { stepBar, stepper } from "./stepper.js";
import { svgDoc, text, wrap, WIDTH } from "./svg.js";
import { drawTrees, treesDefs } from "./trees.js";

const FAULT_ATTRS = ["address", "guestPdeIndex", "guestPteIndex", "pageOffset", "pdpteIndex",
  "paePdeIndex", "paePteIndex", "pdQuadrant", "ptQuadrant"];
const FAULT_BEFORE = { "fresh": "fresh: empty shadow after the CR3 load", "after-p1": "after process 1 read it" };

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
  let o = text(10, 16, head, { size: 13, weight: "bold" });
  const who = faultWho(step);
  o += text(10, 34, `step ${at + 1} of ${steps.length}${who ? ` (${who})` : ""}: ${step.title}`, { weight: "bold" });
  const lines = wrap(step.text, 128);
  lines.forEach((l, i) => { o += text(10, 52 + 15 * i, l); });
  let y = 52 + 15 * lines.length;
  if (view.asking !== null && view.asking !== undefined) {
    o += text(10, y + 4, `next: step ${view.asking + 1} asks you first: ${steps[view.asking].predict.ask}`, { weight: "bold" });
    y += 18;
  }
  const d = drawTrees(T, tree, { focus: step.focus, prev, y0: y + 4 });
  o += d.svg;
  y += 4 + d.height + 6;
  o += text(10, y + 12, "steps so far:", { weight: "bold" });
  y += 18;
  const cols = 3, cw = (WIDTH - 20) / cols;
  for (let n = 0; n <= at; n++) {
    const s = steps[n], w = faultWho(s);
    const label = `${n + 1}. ${w ? w + ": " : ""}${s.title}`;
    o += text(10 + (n % cols) * cw, y + 12 + Math.floor(n / cols) * 15, label.slice(0, 46), { size: 11, weight: n === at ? "bold" : "normal" });
  }
  y += 15 * Math.ceil((at + 1) / cols) + 8;
  const title = `page fault at ${hex(T, va)}, step ${at + 1} of ${steps.length}: ${step.title}`;
  return svgDoc(WIDTH, y, title, o, { defs: treesDefs() });
}

export function render({ model, el }) {
  const T = model.get("tables");
  const spec = model.get("spec") || {};
  const addresses = [...new Set((spec.presets || []).map((p) => p.va))];
  const st = { record: null, inputs: model.get("inputs"), key: "", steps: null };

  const root = element("div", { class: "smmu-explorer smmu-fault", "data-explorer": "page-fault", tabIndex: 0,
    "aria-label": "page-fault explorer; arrow keys step through the fault" });
  const box = element("input", { class: "smmu-address", type: "text", spellcheck: false,
    "aria-label": `address (${T.parser.valid_range}); Enter runs the fault` });
  const [write, writeLabel] = checkbox("smmu-write-access", " write access", "smmu-write");
  const proc = element("select", { class: "smmu-process", "aria-label": "which process's CR3" });
  for (const [v, t] of [[0, "process 1"], [1, "process 2"]]) proc.append(element("option", { value: String(v), text: t }));
  const before = element("select", { class: "smmu-before", "aria-label": "the shadow before the access" });
  for (const [v, t] of Object.entries(FAULT_BEFORE)) before.append(element("option", { value: v, text: t }));
  const controls = element("div", { class: "smmu-controls" }, [
    element("label", { text: "address" }), box, write, writeLabel, proc, before]);
  const presets = element("div", { class: "smmu-presets" });
  for (const va of addresses) presets.append(element("button", { type: "button", text: hex(T, va), "data-select-address": hex(T, va) }), " ");
  const strip = statusStrip(root);
  const bar = stepBar(() => st.steps, () => paint(), { keyRoot: root, withCount: true });
  const ask = predictBox();
  const picture = element("div", { class: "smmu-picture" });
  root.append(controls, presets, strip.error, strip.status, bar.bar, ask.box, ask.verdict, picture);
  el.append(root);

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
    bar.update(s);
    paintPredict();
  }

  function paintPredict() {
    const s = st.steps, rec = st.record;
    delete root.dataset.predict;
    if (s.asking !== null) {
      ask.ask(rec.steps[s.asking].predict, (said) => {
        s.answer(said);
        paint();
        root.focus({ preventScroll: true });  // the buttons are gone: keep the keyboard here
      });
      return;
    }
    ask.close();
    const v = s.verdict(s.at), p = rec.steps[s.at].predict;
    ask.say(p, v && p ? v.verdict : null, v && v.said);
    if (v && p) root.dataset.predict = v.verdict;
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
    strip.clear();
    paint();
  }

  const host = simHost(model, { onState, onStatus: strip.set });

  function run(changes) {
    strip.clear();
    host.select({ ...st.inputs, ...changes });
  }

  box.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const r = parseAddress(T.parser, box.value);
    if (r.ok) run({ va: r.value });
    else strip.refuse(r.message);  // the picture and its data-* stay as they were
  });
  write.addEventListener("change", () => run({ write: write.checked }));
  proc.addEventListener("change", () => run({ process: Number(proc.value) }));
  before.addEventListener("change", () => run({ before: before.value }));
  presets.addEventListener("click", (ev) => {
    const t = ev.target.closest("[data-select-address]");
    if (t) run({ va: parseAddress(T.parser, t.getAttribute("data-select-address")).value });
  });

  host.initial();
  return () => host.dispose();
}
