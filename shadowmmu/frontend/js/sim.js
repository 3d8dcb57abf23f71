// What every simulator explorer's page shares (notebooks 06, 07, 08, 10): the state
// lookup that works with or without a kernel (the stepper is stepper.js's, the DOM
// helper dom.js's).
//
// A simulator explorer shows one *record* (computed in Python by shadowmmu.states)
// for the reader's current *inputs*. Its widget model holds:
//   spec     {key_fields, presets, static_note}: which inputs name a record
//   states   {key: record}: the records computed ahead of time (the static page's
//            whole state space; in a kernel, the presets, for one-frame answers)
//   inputs   the inputs shown (both ways)
//   request  page -> kernel {id, inputs}: "compute this one"
//   answer   kernel -> page {id, key, inputs, record} or {id, error}
// simHost(model, ...).select(inputs) answers from `states` (or its cache of earlier
// answers) in the same frame; otherwise it asks the kernel. Without a kernel, on the
// static site, the page's own Python computes it (pyodide_host.js: Pyodide in a Web
// Worker calling the same shadowmmu.states functions, named in spec.python); where
// there is neither (an HTML export elsewhere), it says plainly that this input needs
// the live notebook. The last good picture stays in every failure.
//
// No kernel constant and no arithmetic here: keys are the inputs' values joined
// exactly as shadowmmu.states.space.state_key joins them.
import { trySave } from "./kernel.js";
import { recordProblem } from "./schema.js";
import { pagePython } from "./pyodide_host.js";

// One input value as a key part: booleans as 1/0, numbers in decimal, strings as they are.
export function keyPart(v) {
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number") return String(v);
  return String(v);
}

export function stateKey(fields, inputs) {
  return fields.map((f) => keyPart(inputs[f])).join("|");
}

export const KERNEL_WAIT_MS = 5000;

// onState(record, inputs, key): draw it. onStatus(kind, text): kind is "" (clear),
// "computing", "needs-kernel", "error" or "no-answer"; the picture is not touched.
export function simHost(model, { onState, onStatus }) {
  const spec = model.get("spec") || {};
  const fields = spec.key_fields || [];
  const cache = new Map();
  let pending = null, serial = 0, timer = null;
  if (spec.python) pagePython();  // a static site's page may warm its Python when idle

  // the record contract (schema.js): a record that does not fit is never drawn
  function fits(rec, key) {
    const problem = spec.schema ? recordProblem(spec.record_kind, spec.schema, rec, `state ${key}`) : "";
    if (problem) onStatus("error", problem);
    return !problem;
  }

  function lookup(key) {
    const states = model.get("states") || {};
    return Object.prototype.hasOwnProperty.call(states, key) ? states[key] : cache.get(key);
  }

  function select(inputs) {
    const key = stateKey(fields, inputs);
    const rec = lookup(key);
    clearTimeout(timer);
    if (rec !== undefined) {
      pending = null;
      if (!fits(rec, key)) return false;
      onStatus("", "");
      onState(rec, inputs, key);
      model.set("inputs", inputs);
      trySave(model);
      return true;
    }
    pending = `js-${++serial}`;
    model.set("request", { id: pending, inputs });
    if (!trySave(model)) {
      const python = spec.python ? pagePython() : null;
      if (python) return askPagePython(python, inputs);
      pending = null;
      onStatus("needs-kernel", `${spec.static_note || "This page has no Python kernel."} `
        + "This input was not computed ahead of time: it needs the live notebook (JupyterLab or Voila).");
      return false;
    }
    onStatus("computing", "asking the simulator in the kernel…");
    const waited = pending;
    timer = setTimeout(() => {
      if (pending === waited) onStatus("no-answer", `no answer from the kernel after ${KERNEL_WAIT_MS / 1000} s: is it running?`);
    }, KERNEL_WAIT_MS);
    return false;
  }

  // No kernel, but the page's own Python: the same states functions, in a worker.
  function askPagePython(python, inputs) {
    const asked = pending;
    onStatus("computing", python.ready ? "computing in the Python in your browser…"
      : "starting Python in your browser…");
    const request = { key_fields: fields, check: spec.python.check, record: spec.python.record, inputs };
    python.ask(request, (text) => { if (pending === asked) onStatus("computing", text); })
      .then((a) => {
        if (pending !== asked) return;  // the reader has moved on
        pending = null;
        if (a.error) { onStatus("error", a.error); return; }
        if (!fits(a.record, a.key)) return;  // the page's Python meets the same contract
        cache.set(a.key, a.record);
        onStatus("", "");
        onState(a.record, a.inputs, a.key);
        model.set("inputs", a.inputs);
      })
      .catch((err) => {
        if (pending !== asked) return;
        pending = null;
        onStatus("error", `The Python in your browser failed, so this input has no answer: ${err.message}`);
      });
    return false;
  }

  function onAnswer() {
    const a = model.get("answer") || {};
    const fromPython = typeof a.id === "string" && a.id.startsWith("py-");
    if (!fromPython && a.id !== pending) return;  // an answer to a question no longer asked
    pending = null;
    clearTimeout(timer);
    if (a.error) {
      onStatus("error", a.error);
      return;
    }
    if (!fits(a.record, a.key)) return;
    cache.set(a.key, a.record);
    onStatus("", "");
    onState(a.record, a.inputs, a.key);
  }
  model.on("change:answer", onAnswer);

  function initial() {
    const inputs = model.get("inputs");
    const key = stateKey(fields, inputs);
    const rec = lookup(key);
    const a = model.get("answer") || {};
    if (rec !== undefined) {
      if (fits(rec, key)) onState(rec, inputs, key);
    } else if (a.key === key && a.record) {
      if (fits(a.record, key)) onState(a.record, inputs, key);
    }
    else select(inputs);
  }

  return {
    select, initial, lookup, fields, spec,
    dispose() {
      clearTimeout(timer);
      model.off("change:answer", onAnswer);
    },
  };
}
