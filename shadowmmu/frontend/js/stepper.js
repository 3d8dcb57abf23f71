// Steps revealed one at a time, some of them asked first.
//
// steps: the record's list; a step may carry `predict: {ask, choices: [{value, label}],
// answer, explain}`. next() onto such a step (not yet answered) does not show it:
// it sets `asking` and the page shows the question; answer(v) (or answer(null):
// "show me") records the verdict and shows the step. Steps already answered are not
// asked again when stepping back and forth. `at` is the index of the step shown.
import { element } from "./dom.js";
import { verdictOf } from "./predict.js";

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
      const n = s.asking, v = verdictOf(value, steps[n].predict.answer);
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

// The buttons of a stepped explorer: previous, next, show all, and a count; keys
// ArrowRight / ArrowLeft / End on `keyRoot` do the same. onMove(how) is called after
// the stepper moved ("next", "prev", "end").
export function stepBar(getSteps, onMove, { keyRoot = null, withCount = false } = {}) {
  const prev = element("button", { type: "button", class: "smmu-step-prev", text: "◀ previous step" });
  const next = element("button", { type: "button", class: "smmu-step-next", text: "next step ▶" });
  const end = element("button", { type: "button", class: "smmu-step-end", text: "show all" });
  const count = element("span", { class: "smmu-step-count", role: "status" });
  const bar = element("div", { class: "smmu-stepbar smmu-controls" }, withCount ? [prev, next, end, count] : [prev, next, end]);
  function move(how) {
    const s = getSteps();
    if (!s) return;
    const moved = how === "next" ? s.next() : how === "prev" ? s.prev() : (s.toEnd(), true);
    if (moved) onMove(how);
  }
  prev.addEventListener("click", () => move("prev"));
  next.addEventListener("click", () => move("next"));
  end.addEventListener("click", () => move("end"));
  if (keyRoot) {
    keyRoot.addEventListener("keydown", (ev) => {
      if (ev.target.tagName === "INPUT" || ev.target.tagName === "SELECT") return;
      const how = { ArrowRight: "next", ArrowLeft: "prev", End: "end" }[ev.key];
      if (how) {
        ev.preventDefault();
        move(how);
      }
    });
  }
  return {
    bar, prev, next, end,
    // enable the buttons for the stepper's state
    update(s) {
      count.textContent = `step ${s.at + 1} of ${s.count}`;
      prev.disabled = s.at === 0 && s.asking === null;
      next.disabled = s.asking !== null || s.at >= s.count - 1;
      end.disabled = s.at >= s.count - 1 && s.asking === null;
    },
  };
}
