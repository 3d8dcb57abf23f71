// What every simulator explorer's page shares (notebooks 06, 07, 08, 10): the state
// lookup that works with or without a kernel, the step-and-predict controller, and
// small DOM helpers.
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

import { pagePython } from "./pyodide_host.js";

export function simElement(tag, props = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "for" || k === "role") e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

// One input value as a key part: booleans as 1/0, numbers in decimal, strings as they are.
export function keyPart(v) {
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number") return String(v);
  return String(v);
}

export function stateKey(fields, inputs) {
  return fields.map((f) => keyPart(inputs[f])).join("|");
}

// Send the model's changes to the kernel: false when there is none (a static page).
export function kernelSave(model) {
  return trySave(model);
}

function trySave(model) {
  // The static page's widget manager (html-manager) has no kernel, and there
  // save_changes() does nothing rather than throw: ask the manager first.
  const wm = model.widget_manager;
  if (wm && !wm.kernel) return false;
  try {
    model.save_changes();
    return true;
  } catch (err) {
    return false;  // no kernel: a static page
  }
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
    if (rec !== undefined) onState(rec, inputs, key);
    else if (a.key === key && a.record) onState(a.record, inputs, key);
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

// Steps revealed one at a time, some of them asked first.
//
// steps: the record's list; a step may carry `predict: {ask, choices: [{value, label}],
// answer, explain}`. next() onto such a step (not yet answered) does not show it:
// it sets `asking` and the page shows the question; answer(v) (or answer(null):
// "show me") records the verdict and shows the step. Steps already answered are not
// asked again when stepping back and forth. `at` is the index of the step shown.
export function stepper(steps, { ask = true } = {}) {
  const s = { at: 0, asking: null, verdicts: new Map() };
  const needs = (n) => ask && steps[n] && steps[n].predict && !s.verdicts.has(n);
  // step 0 is shown at once: a question belongs to a later step
  return {
    get at() { return s.at; },
    get asking() { return s.asking; },
    get count() { return steps.length; },
    verdict(n) { return s.verdicts.get(n); },
    next() {
      if (s.asking !== null || s.at >= steps.length - 1) return false;
      if (needs(s.at + 1)) {
        s.asking = s.at + 1;
        return true;
      }
      s.at += 1;
      return true;
    },
    prev() {
      if (s.asking !== null && s.asking > s.at) {
        s.asking = null;  // back out of the question
        return true;
      }
      if (s.at <= 0) return false;
      s.at -= 1;
      return true;
    },
    answer(value) {
      if (s.asking === null) return null;
      const n = s.asking, p = steps[n].predict;
      const v = value === null ? "shown" : value === p.answer ? "right" : "wrong";
      s.verdicts.set(n, { verdict: v, said: value });
      s.asking = null;
      s.at = n;
      return v;
    },
    toEnd() {  // for "show all": every question answered as "shown"
      for (let n = s.at + 1; n < steps.length; n++) if (needs(n)) s.verdicts.set(n, { verdict: "shown", said: null });
      s.asking = null;
      s.at = steps.length - 1;
    },
  };
}
