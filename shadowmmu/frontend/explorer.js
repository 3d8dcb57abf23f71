// anywidget front end of every in-page explorer: render({ model, el }).
//
// This module knows the DOM and the widget model; the arithmetic is model.js and
// the picture draw.js. State lives in three traitlets: `address` (Int), `rule`
// (Unicode) and, for the exercise explorer, `number` (Int). The page updates
// itself (no kernel round trip) and, when a kernel is there, tells it; without a
// kernel model.save_changes() throws, so it is guarded.
//
// Testing contract (issue 11): the root `.smmu-explorer[data-explorer]` carries
// data-address (0x%08X), data-guest-pde-index, data-guest-pte-index,
// data-page-offset, data-pdpte-index, data-pae-pde-index, data-pae-pte-index,
// data-pd-quadrant, data-pt-quadrant and (rule explorer) data-rule, set in the
// same frame as the picture. input.smmu-address commits on Enter; a refusal
// shows .smmu-error and changes nothing else.
//
// Predict, then see (trait `predict`, pd-split and pt-split): the root carries
// data-predict="pending|right|wrong|shown"; while pending, the picture hides the
// quadrant asked about (draw.js view.hide) and .smmu-predict asks for it with one
// button per quadrant (data-answer="Q") and a "show" button. The answer is the
// mainline rule's table lookup (explorerState), never a formula here; a new
// address asks again. The data-* contract above is kept up to date meanwhile.
import { bits, checkRule, decompose, explorerState, field, hex, parseAddress, parseAnswer, withBits, withField } from "./model.js";
import { drawExplorer, vaBits } from "./draw.js";
import { kernelSave, simElement } from "./sim.js";
import { pagePython } from "./pyodide_host.js";

const ATTRS = {
  address: "address", guestPdeIndex: "guestPdeIndex", guestPteIndex: "guestPteIndex",
  pageOffset: "pageOffset", pdpteIndex: "pdpteIndex", paePdeIndex: "paePdeIndex",
  paePteIndex: "paePteIndex", pdQuadrant: "pdQuadrant", ptQuadrant: "ptQuadrant",
};
const CHANGED_MS = 1200;
// What each predicting explorer asks: the quadrant it hides, the shadow-table rows that
// name the answers, and the words of the question.
const PREDICT = {
  "pd-split": { level: "pd", attr: "pdQuadrant", parts: "pd",
    ask: "Predict first: which PAE page directory (role.quadrant) shadows this guest PDE?",
    name: (p) => `PAE PD q${p.quadrant}` },
  "pt-split": { level: "pt", attr: "ptQuadrant", parts: "pt",
    ask: "Predict first: which PAE page table (role.quadrant), and which half of the guest PT does it shadow?",
    name: (p) => `PAE PT q${p.quadrant}, ${p.quadrant ? "upper" : "lower"} ${p.size}` },
};

function save(model) {
  try {
    model.save_changes();
  } catch (err) {
    // no kernel (a static page): the page keeps working on its own
  }
}

export function render({ model, el }) {
  const T = model.get("tables");
  const kind = model.get("kind");
  const withRule = kind === "rule";
  const state = { va: model.get("address"), rule: model.get("rule"), number: model.get("number"), revealed: false, changed: [] };
  const ask = model.get("predict") && PREDICT[kind] ? PREDICT[kind] : null;
  state.predict = ask ? "pending" : null;
  let timer = null, refocusing = false;

  const root = simElement("div", { class: "smmu-explorer", "data-explorer": kind, tabIndex: 0,
    "aria-label": `${kind} explorer; arrow keys step through entries` });
  const box = simElement("input", { class: "smmu-address", type: "text", spellcheck: false,
    "aria-label": `address (${T.parser.valid_range}); Enter to commit` });
  const error = simElement("span", { class: "smmu-error", role: "alert", hidden: true });
  const controls = simElement("div", { class: "smmu-controls" }, [simElement("label", { text: "address" }), box]);
  const presets = simElement("span", { class: "smmu-presets" });
  for (const p of T.presets) presets.append(simElement("button", { type: "button", text: hex(T, p), "data-select-address": hex(T, p) }));
  controls.append(presets);
  let ruleBox = null;
  if (withRule) {
    ruleBox = simElement("select", { class: "smmu-rule", "aria-label": "quadrant rule" });
    for (const name of T.rule_order) {
      const r = T.rules[name];
      ruleBox.append(simElement("option", { value: name, text: `${name}${r.correct ? "" : " (wrong)"}` }));
    }
    controls.append(simElement("label", { text: "rule" }), ruleBox);
  }
  // exercise: another seed, made by the kernel or by the page's own Python (pyodide_host.js)
  const seedBox = kind === "exercise" ? simElement("input", { class: "smmu-seed", type: "text", spellcheck: false,
    size: 10, "aria-label": "exercise seed (a whole number); Enter for a new set" }) : null;
  const seedStatus = simElement("span", { class: "smmu-status", role: "status" });
  if (seedBox) {
    seedBox.value = String(model.get("seed"));
    controls.append(simElement("label", { text: "seed" }), seedBox, " ", seedStatus);
  }
  const question = simElement("div", { class: "smmu-question" });
  const answers = simElement("div", { class: "smmu-answers" });
  const picture = simElement("div", { class: "smmu-picture" });
  root.append(controls, error);
  if (kind === "exercise") root.append(question, answers);
  const predictBox = simElement("div", { class: "smmu-predict" });
  if (ask) {
    const choices = simElement("span", { class: "smmu-predict-choices" });
    for (const p of T.shadow[ask.parts]) {
      choices.append(simElement("button", { type: "button", class: "smmu-predict-answer", "data-answer": String(p.quadrant), text: ask.name(p) }), " ");
    }
    choices.append(simElement("button", { type: "button", class: "smmu-predict-show", text: "show" }));
    predictBox.append(simElement("span", { class: "smmu-predict-question", text: ask.ask }), " ", choices,
      " ", simElement("span", { class: "smmu-predict-verdict", role: "status" }));
    root.append(predictBox);
  }
  root.append(picture);
  const checkBox = simElement("div", { class: "smmu-rule-check" });
  if (withRule) {
    checkBox.append(simElement("button", { type: "button", class: "smmu-check-all", text: "check this rule on every guest page" }),
      " ", simElement("span", { class: "smmu-rule-result", role: "status" }));
    root.append(checkBox);
  }
  el.append(root);

  const exercises = () => model.get("exercises") || [];
  const current = () => exercises()[state.number] || null;

  function paint(prevVa) {
    if (prevVa !== undefined && prevVa !== state.va) {
      const a = decompose(T, prevVa), b = decompose(T, state.va);
      state.changed = Object.keys(b).filter((k) => a[k] !== b[k]);
    } else {
      state.changed = [];
    }
    const focusKey = document.activeElement && root.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-focus") : null;
    if (ask && prevVa !== undefined && prevVa !== state.va) state.predict = "pending";  // a new address asks again
    const hide = state.predict === "pending" ? ask.level : undefined;
    picture.innerHTML = drawExplorer(T, kind, { va: state.va, rule: withRule ? state.rule : undefined,
      changed: state.changed, exercise: current(), revealed: state.revealed, hide });
    const s = explorerState(T, state.va, withRule ? state.rule : undefined);
    for (const [k, attr] of Object.entries(ATTRS)) root.dataset[attr] = String(s[k]);
    if (ask) paintPredict(s);
    if (withRule) root.dataset.rule = state.rule;
    else delete root.dataset.rule;
    root.dataset.changed = state.changed.join(" ");
    box.value = hex(T, state.va);
    if (ruleBox) ruleBox.value = state.rule;
    const result = checkBox.querySelector(".smmu-rule-result");
    if (result && result.dataset.rule && result.dataset.rule !== state.rule) {
      result.textContent = "";  // a verdict about another rule would mislead
      for (const k of Object.keys(result.dataset)) delete result.dataset[k];
    }
    if (focusKey) {
      const again = picture.querySelector(`[data-focus="${focusKey}"]`);
      if (again) {
        refocusing = true;  // the same entry again: no scroll, no second hover pass
        again.focus({ preventScroll: true });
        refocusing = false;
      }
    }
    clearTimeout(timer);
    if (state.changed.length) {
      timer = setTimeout(() => {
        for (const e of picture.querySelectorAll(".smmu-changed")) {
          e.classList.remove("smmu-changed");
          e.removeAttribute("text-decoration");
        }
        root.dataset.changed = "";
      }, CHANGED_MS);
    }
  }

  function paintPredict(s) {
    root.dataset.predict = state.predict;
    const verdict = predictBox.querySelector(".smmu-predict-verdict");
    for (const b of predictBox.querySelectorAll("button")) b.disabled = state.predict !== "pending";
    if (state.predict === "pending") {
      verdict.textContent = "";
      return;
    }
    const want = s[ask.attr], said = state.said;
    const it = ask.name(T.shadow[ask.parts].find((p) => p.quadrant === want));
    verdict.textContent = state.predict === "shown" ? `answer: ${it}`
      : state.predict === "right" ? `right: ${it}` : `wrong: you said q${said}; it is ${it}`;
  }

  function predict(answer) {
    const want = explorerState(T, state.va)[ask.attr];
    state.said = answer;
    state.predict = answer === null ? "shown" : answer === want ? "right" : "wrong";
    paint();
    root.focus({ preventScroll: true });  // the pressed button is now disabled: keep the keyboard here
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function commit(va) {
    showError("");
    if (va === state.va) return;
    const prev = state.va;
    state.va = va;
    paint(prev);
    model.set("address", va);
    save(model);
  }

  function paintExercise() {
    const ex = current();
    answers.replaceChildren();
    if (!ex) {
      question.textContent = "no exercise";
      return;
    }
    question.replaceChildren(
      simElement("button", { type: "button", class: "smmu-prev", text: "< previous", disabled: state.number <= 0 }),
      " ", simElement("b", { text: `Exercise ${ex.number} (seed ${ex.seed}): ` }), ex.question, " ",
      simElement("button", { type: "button", class: "smmu-next", text: "next >", disabled: state.number >= exercises().length - 1 }));
    for (const a of ex.answers) {
      answers.append(simElement("label", { text: a.label, for: `smmu-answer-${a.name}` }),
        simElement("input", { class: `smmu-answer smmu-answer-${a.name}`, "data-field": a.name, type: "text",
          "aria-label": a.label }),
        simElement("span", { class: "smmu-verdict", "data-field": a.name }));
    }
    answers.append(simElement("span", { class: "smmu-answer-buttons" }, [
      simElement("button", { type: "button", class: "smmu-check", text: "check my answer" }), " ",
      simElement("button", { type: "button", class: "smmu-reveal", text: "reveal" })]));
  }

  // A new seed: the kernel makes its set (Explorer._new_seed); with no kernel, the static
  // site's own Python runs the same states.exercises function; elsewhere it needs a kernel.
  let seedAsked = 0;
  function exerciseStatus(kind, text) {
    root.dataset.status = kind;
    seedStatus.textContent = kind === "error" ? "" : text;
    if (kind === "error") showError(text);
  }
  function useExercises(records) {
    const seed = records.length ? records[0].seed : model.get("seed");
    root.dataset.stateKey = `${seed}|${records.length}`;  // first: onExercises sees it is shown
    if (model.get("exercises") !== records) model.set("exercises", records);
    seedBox.value = String(seed);
    state.number = -1;
    setNumber(0);
  }
  function setSeed(text) {
    const t = text.trim();
    const spec = model.get("spec") || {};
    if (!/^[0-9]+$/.test(t) || Number(t) > 2 ** 32 - 1) {
      showError(`seed ${JSON.stringify(text)} must be a whole number in 0..${2 ** 32 - 1}`);
      return;
    }
    showError("");
    const seed = Number(t), count = exercises().length;
    if (exercises().length && exercises()[0].seed === seed) return;
    model.set("seed", seed);
    if (kernelSave(model)) return;  // the kernel answers by changing `exercises`
    const python = spec.python ? pagePython() : null;
    if (!python) {
      exerciseStatus("needs-kernel", "A new seed needs a Python kernel (JupyterLab or Voila).");
      return;
    }
    const asked = ++seedAsked;
    exerciseStatus("computing", python.ready ? "computing in the Python in your browser…" : "starting Python in your browser…");
    python.ask({ key_fields: spec.key_fields, check: spec.python.check, record: spec.python.record, inputs: { seed, count } },
      (msg) => { if (asked === seedAsked) exerciseStatus("computing", msg); })
      .then((a) => {
        if (asked !== seedAsked) return;
        if (a.error) { exerciseStatus("error", a.error); return; }
        exerciseStatus("", "");
        useExercises(a.record.exercises);
      })
      .catch((err) => {
        if (asked === seedAsked) exerciseStatus("error", `The Python in your browser failed, so there is no new set: ${err.message}`);
      });
  }
  if (seedBox) {
    root.dataset.stateKey = `${model.get("seed")}|${exercises().length}`;
    root.dataset.status = "";
    if ((model.get("spec") || {}).python) pagePython();  // a static site's page may warm its Python when idle
    seedBox.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      setSeed(seedBox.value);
    });
  }

  function setNumber(n) {
    if (n < 0 || n >= exercises().length) return;
    state.number = n;
    state.revealed = false;
    paintExercise();
    const prev = state.va;
    state.va = current().va;
    paint(prev);
    model.set("number", n);
    model.set("address", state.va);
    save(model);
  }

  function check() {
    const ex = current();
    for (const a of ex.answers) {
      const input = answers.querySelector(`input[data-field="${a.name}"]`);
      const verdict = answers.querySelector(`.smmu-verdict[data-field="${a.name}"]`);
      const got = parseAnswer(T.parser, input.value), blank = !input.value.trim();
      verdict.dataset.correct = got !== null ? String(got === a.value) : blank ? "none" : "not-a-number";
      verdict.textContent = got !== null ? (got === a.value ? "right" : "not yet")
        : blank ? "no answer given" : `${JSON.stringify(input.value)} is not a number: write decimal (245) or hex (0xF5)`;
    }
  }

  function reveal() {
    const ex = current();
    for (const a of ex.answers) {
      const verdict = answers.querySelector(`.smmu-verdict[data-field="${a.name}"]`);
      verdict.textContent = `answer: ${a.value}`;
    }
    state.revealed = true;
    paint();
  }

  box.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const r = parseAddress(T.parser, box.value);
    if (r.ok) commit(r.value);
    else showError(r.message);  // data-address and the picture stay as they were
  });

  root.addEventListener("click", (ev) => {
    const t = ev.target.closest("[data-bit], [data-select-address], .smmu-prev, .smmu-next, .smmu-check, .smmu-reveal, .smmu-check-all, .smmu-predict-answer, .smmu-predict-show");
    if (!t || !root.contains(t)) return;
    if (t.classList.contains("smmu-predict-answer")) return predict(Number(t.getAttribute("data-answer")));
    if (t.classList.contains("smmu-predict-show")) return predict(null);
    if (t.classList.contains("smmu-prev")) return setNumber(state.number - 1);
    if (t.classList.contains("smmu-next")) return setNumber(state.number + 1);
    if (t.classList.contains("smmu-check")) return check();
    if (t.classList.contains("smmu-reveal")) return reveal();
    if (t.classList.contains("smmu-check-all")) return checkAll();
    if (t.hasAttribute("data-bit")) {
      const n = Number(t.getAttribute("data-bit"));
      return commit(withBits(state.va, n, n, 1 - bits(state.va, n, n)));
    }
    const r = parseAddress(T.parser, t.getAttribute("data-select-address"));
    if (r.ok) commit(r.value);
  });

  // The chosen rule on all 2**20 guest pages, in the page (tens of milliseconds).
  function checkAll() {
    const out = checkBox.querySelector(".smmu-rule-result");
    const r = checkRule(T, state.rule);
    const [pdF, ptF] = T.layouts.quadrant;
    Object.assign(out.dataset, { rule: state.rule, pages: r.pages, wrongPd: r.wrongPd, wrongPt: r.wrongPt,
      first: r.first ? hex(T, r.first.va) : "" });
    if (!r.first) {
      out.textContent = `${state.rule}: right on all ${r.pages} pages (PD quadrant = ${vaBits(pdF)}, PT quadrant = ${vaBits(ptF)})`;
      return;
    }
    const what = r.first.level === "pd" ? `PD quadrant (${vaBits(pdF)})` : `PT quadrant (${vaBits(ptF)})`;
    out.textContent = `${state.rule}: WRONG on ${r.wrongPd} pages' PD quadrant and ${r.wrongPt} pages' PT quadrant `
      + `of ${r.pages}; first ${hex(T, r.first.va)}: ${what} should be ${r.first.expected}, rule gives ${r.first.got}`;
  }

  function step(name, delta) {
    const f = field(T, name), n = 2 ** (f.hi - f.lo + 1);
    commit(withField(T, state.va, name, (bits(state.va, f.hi, f.lo) + delta + n) % n));
  }

  root.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") return;
    const [across, down] = T.arrows[kind];
    const keys = { ArrowRight: [across, 1], ArrowLeft: [across, -1], ArrowDown: [down, 1], ArrowUp: [down, -1] };
    if (keys[ev.key]) {
      ev.preventDefault();
      step(...keys[ev.key]);
    } else if ((ev.key === "Enter" || ev.key === " ") && ev.target.closest("[data-bit], [data-select-address]")
               && ev.target.tagName !== "BUTTON") {
      ev.preventDefault();
      ev.target.closest("[data-bit], [data-select-address]").dispatchEvent(new MouseEvent("click", { bubbles: true }));
    }
  });

  // hover: everything that shares a link key lights up together
  function hot(on, target) {
    const t = target.closest("[data-link]");
    if (!t || !root.contains(t)) return;
    const keys = new Set(t.getAttribute("data-link").split(" "));
    for (const e of picture.querySelectorAll("[data-link]")) {
      if (e.getAttribute("data-link").split(" ").some((k) => keys.has(k))) e.classList.toggle("smmu-hot", on);
    }
  }
  picture.addEventListener("mouseover", (ev) => hot(true, ev.target));
  picture.addEventListener("mouseout", (ev) => hot(false, ev.target));
  picture.addEventListener("focusin", (ev) => { if (!refocusing) hot(true, ev.target); });
  picture.addEventListener("focusout", (ev) => hot(false, ev.target));

  if (ruleBox) {
    ruleBox.addEventListener("change", () => {
      state.rule = ruleBox.value;
      paint();
      model.set("rule", state.rule);
      save(model);
    });
  }

  const onAddress = () => {
    const va = model.get("address");
    if (va !== state.va) {
      const prev = state.va;
      state.va = va;
      showError("");
      paint(prev);
    }
  };
  const onRule = () => {
    if (model.get("rule") !== state.rule) {
      state.rule = model.get("rule");
      paint();
    }
  };
  const onNumber = () => {
    if (model.get("number") !== state.number) {
      state.number = model.get("number");
      state.revealed = false;
      paintExercise();
      paint();
    }
  };
  const onExercises = () => {  // a kernel made a new set (another seed)
    const records = exercises();
    if (!records.length || root.dataset.stateKey === `${records[0].seed}|${records.length}`) return;
    useExercises(records);
  };
  model.on("change:address", onAddress);
  model.on("change:rule", onRule);
  model.on("change:number", onNumber);
  if (seedBox) model.on("change:exercises", onExercises);
  if (kind === "exercise") paintExercise();
  paint();
  return () => {
    clearTimeout(timer);
    model.off("change:address", onAddress);
    model.off("change:rule", onRule);
    model.off("change:number", onNumber);
    if (seedBox) model.off("change:exercises", onExercises);
  };
}

export default { render };
