// anywidget front end of every in-page explorer: render({ model, el }).
//
// This module knows the DOM and the widget model; the arithmetic is model.js and
// the picture draw.js. State lives in three traitlets: `address` (Int), `rule`
// (Unicode) and, for the exercise explorer, `number` (Int). The page updates
// itself (no kernel round trip) and, when a kernel is there, tells it; without a
// kernel nothing is sent (kernel.js). The parts: exercise.js (09), rulecheck.js (05),
// predict.js (the question of 03 and 04), draw.js (the picture).
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
import { bits, decompose, explorerState, field, hex, parseAddress, withBits, withField } from "./model.js";
import { element } from "./dom.js";
import { drawExplorer } from "./draw.js";
import { exercisePanel, seedControl } from "./exercise.js";
import { trySave } from "./kernel.js";
import { predictBox, verdictOf } from "./predict.js";
import { ruleCheck } from "./rulecheck.js";
import { statusStrip } from "./status.js";

const ATTRS = ["address", "guestPdeIndex", "guestPteIndex", "pageOffset", "pdpteIndex", "paePdeIndex",
  "paePteIndex", "pdQuadrant", "ptQuadrant"];
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

// The question of a predicting explorer at va (its answer from the mainline tables).
function quadrantQuestion(T, ask, va) {
  return { ask: ask.ask, answer: explorerState(T, va)[ask.attr],
    choices: T.shadow[ask.parts].map((p) => ({ value: p.quadrant, label: ask.name(p) })) };
}

export function render({ model, el }) {
  const T = model.get("tables");
  const kind = model.get("kind");
  const withRule = kind === "rule";
  const state = { va: model.get("address"), rule: model.get("rule"), number: model.get("number"), revealed: false, changed: [] };
  const ask = model.get("predict") && PREDICT[kind] ? PREDICT[kind] : null;
  state.predict = ask ? "pending" : null;
  let timer = null, refocusing = false;

  const root = element("div", { class: "smmu-explorer", "data-explorer": kind, tabIndex: 0,
    "aria-label": `${kind} explorer; arrow keys step through entries` });
  const box = element("input", { class: "smmu-address", type: "text", spellcheck: false,
    "aria-label": `address (${T.parser.valid_range}); Enter to commit` });
  const strip = statusStrip(root);
  const controls = element("div", { class: "smmu-controls" }, [element("label", { text: "address" }), box]);
  const presets = element("span", { class: "smmu-presets" });
  for (const p of T.presets) presets.append(element("button", { type: "button", text: hex(T, p), "data-select-address": hex(T, p) }));
  controls.append(presets);
  let ruleBox = null;
  if (withRule) {
    ruleBox = element("select", { class: "smmu-rule", "aria-label": "quadrant rule" });
    for (const name of T.rule_order) {
      const r = T.rules[name];
      ruleBox.append(element("option", { value: name, text: `${name}${r.correct ? "" : " (wrong)"}` }));
    }
    controls.append(element("label", { text: "rule" }), ruleBox);
  }
  // 09: another seed, made by the kernel or by the page's own Python (exercise.js)
  const seed = kind === "exercise" ? seedControl(model, root, strip, (records) => useExercises(records)) : null;
  if (seed) controls.append(...seed.parts);
  const picture = element("div", { class: "smmu-picture" });
  root.append(controls, strip.error);
  const exercise = kind === "exercise" ? exercisePanel(T) : null;
  if (exercise) root.append(...exercise.parts);
  const predict = ask ? predictBox() : null;
  if (predict) root.append(predict.box, predict.verdict);
  root.append(picture);
  const check = withRule ? ruleCheck(T) : null;
  if (check) root.append(check.box);
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
    for (const attr of ATTRS) root.dataset[attr] = String(s[attr]);
    if (ask) paintPredict();
    if (withRule) root.dataset.rule = state.rule;
    else delete root.dataset.rule;
    root.dataset.changed = state.changed.join(" ");
    const unnamed = kind === "exercise" && current() && current().kind !== "address" && !state.revealed;
    box.value = unnamed ? "" : hex(T, state.va);  // a write exercise names no address until revealed
    if (ruleBox) ruleBox.value = state.rule;
    if (check) check.shown(state.rule);
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

  function paintPredict() {
    root.dataset.predict = state.predict;
    const q = quadrantQuestion(T, ask, state.va);
    if (state.predict !== "pending") {
      predict.close();
      predict.say(q, state.predict, state.said);
      return;
    }
    predict.ask(q, (said) => {
      state.said = said;
      state.predict = verdictOf(said, q.answer);
      paint();
      root.focus({ preventScroll: true });  // the buttons are gone: keep the keyboard here
    });
  }

  function commit(va) {
    strip.refuse("");
    if (va === state.va) return;
    const prev = state.va;
    state.va = va;
    paint(prev);
    model.set("address", va);
    trySave(model);
  }

  // a new set of exercises (another seed): shown from its first
  function useExercises(records) {
    seed.shown(records);  // first: onExercises sees it is shown
    if (model.get("exercises") !== records) model.set("exercises", records);
    state.number = -1;
    setNumber(0);
  }

  function setNumber(n) {
    if (n < 0 || n >= exercises().length) return;
    state.number = n;
    state.revealed = false;
    exercise.show(current(), state.number, exercises().length);
    const prev = state.va;
    state.va = current().va;
    paint(prev);
    model.set("number", n);
    model.set("address", state.va);
    trySave(model);
  }

  box.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const r = parseAddress(T.parser, box.value);
    if (r.ok) commit(r.value);
    else strip.refuse(r.message);  // data-address and the picture stay as they were
  });

  root.addEventListener("click", (ev) => {
    const t = ev.target.closest("[data-bit], [data-select-address], .smmu-prev, .smmu-next, .smmu-check, .smmu-reveal, .smmu-check-all");
    if (!t || !root.contains(t)) return;
    if (t.classList.contains("smmu-prev")) return setNumber(state.number - 1);
    if (t.classList.contains("smmu-next")) return setNumber(state.number + 1);
    if (t.classList.contains("smmu-check")) return exercise.check(current());
    if (t.classList.contains("smmu-reveal")) {
      exercise.reveal(current());
      state.revealed = true;
      return paint();
    }
    if (t.classList.contains("smmu-check-all")) return check.run(state.rule);
    if (t.hasAttribute("data-bit")) {
      const n = Number(t.getAttribute("data-bit"));
      return commit(withBits(state.va, n, n, 1 - bits(state.va, n, n)));
    }
    const r = parseAddress(T.parser, t.getAttribute("data-select-address"));
    if (r.ok) commit(r.value);
  });

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
      trySave(model);
    });
  }

  const onAddress = () => {
    const va = model.get("address");
    if (va !== state.va) {
      const prev = state.va;
      state.va = va;
      strip.refuse("");
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
      exercise.show(current(), state.number, exercises().length);
      paint();
    }
  };
  model.on("change:address", onAddress);
  model.on("change:rule", onRule);
  model.on("change:number", onNumber);
  const onExercises = () => {  // a kernel made a new set (another seed)
    const records = exercises();
    if (records.length && !seed.isShown(records)) useExercises(records);
  };
  if (seed) model.on("change:exercises", onExercises);
  if (exercise) exercise.show(current(), state.number, exercises().length);
  paint();
  return () => {
    clearTimeout(timer);
    model.off("change:address", onAddress);
    model.off("change:rule", onRule);
    model.off("change:number", onNumber);
    if (seed) model.off("change:exercises", onExercises);
  };
}
