// Notebook 09's exercise: the question, one input per answer, "check my answer" and
// "reveal"; and its seed box (seedControl). Answers are read as exercises.check_answers reads them (model.js parseAnswer).
import { parseAnswer } from "./model.js";
import { element } from "./dom.js";
import { trySave } from "./kernel.js";
import { pagePython } from "./pyodide_host.js";

export function exercisePanel(T) {
  const question = element("div", { class: "smmu-question" });
  const answers = element("div", { class: "smmu-answers" });
  const verdictOf = (a) => answers.querySelector(`.smmu-verdict[data-field="${a.name}"]`);
  return {
    parts: [question, answers],
    // show exercise ex (null: none), `count` of them in all, `at` the index shown
    show(ex, at, count) {
      answers.replaceChildren();
      if (!ex) {
        question.textContent = "no exercise";
        return;
      }
      question.replaceChildren(
        element("button", { type: "button", class: "smmu-prev", text: "< previous", disabled: at <= 0 }),
        " ", element("b", { text: `Exercise ${ex.number} (seed ${ex.seed}): ` }), ex.question, " ",
        element("button", { type: "button", class: "smmu-next", text: "next >", disabled: at >= count - 1 }));
      for (const a of ex.answers) {
        const input = element("input", { class: `smmu-answer smmu-answer-${a.name}`, id: `smmu-answer-${a.name}`,
          "data-field": a.name, type: "text", "aria-label": a.label });
        answers.append(element("label", { text: a.label, for: input.id }), input,
          element("span", { class: "smmu-verdict", "data-field": a.name }));
      }
      answers.append(element("span", { class: "smmu-answer-buttons" }, [
        element("button", { type: "button", class: "smmu-check", text: "check my answer" }), " ",
        element("button", { type: "button", class: "smmu-reveal", text: "reveal" })]));
    },
    check(ex) {
      for (const a of ex.answers) {
        const input = answers.querySelector(`input[data-field="${a.name}"]`), verdict = verdictOf(a);
        const got = parseAnswer(T.parser, input.value), blank = !input.value.trim();
        verdict.dataset.correct = got !== null ? String(got === a.value) : blank ? "none" : "not-a-number";
        verdict.textContent = got !== null ? (got === a.value ? "right" : `not yet. Hint: ${a.hint}`)
          : blank ? "no answer given" : `${JSON.stringify(input.value)} is not a number: write decimal (245) or hex (0xF5)`;
      }
    },
    reveal(ex) {
      for (const a of ex.answers) verdictOf(a).textContent = `answer: ${a.value}`;
    },
  };
}

// 09's seed box: another seed's set. The kernel makes it (Explorer._new_seed, answering by
// changing `exercises`); with no kernel, the static site's own Python runs the same
// states.exercises function (pyodide_host.js); elsewhere it needs a kernel. use(records)
// shows a set the page's Python made. root.dataset.stateKey is "seed|count" of the set shown.
export function seedControl(model, root, strip, use) {
  const box = element("input", { class: "smmu-seed", type: "text", spellcheck: false,
    size: 10, "aria-label": "exercise seed (a whole number); Enter for a new set" });
  const status = element("span", { class: "smmu-status", role: "status" });
  const exercises = () => model.get("exercises") || [];
  const spec = model.get("spec") || {};
  let asked = 0;
  box.value = String(model.get("seed"));
  root.dataset.stateKey = `${model.get("seed")}|${exercises().length}`;
  root.dataset.status = "";
  if (spec.python) pagePython();  // a static site's page may warm its Python when idle

  function say(kind, text) {
    root.dataset.status = kind;
    status.textContent = kind === "error" ? "" : text;
    if (kind === "error") strip.refuse(text);
  }
  function shown(records) {
    const seed = records.length ? records[0].seed : model.get("seed");
    root.dataset.stateKey = `${seed}|${records.length}`;
    box.value = String(seed);
  }
  function set(text) {
    const t = text.trim();
    if (!/^[0-9]+$/.test(t) || Number(t) > 2 ** 32 - 1) {
      strip.refuse(`seed ${JSON.stringify(text)} must be a whole number in 0..${2 ** 32 - 1}`);
      return;
    }
    strip.refuse("");
    const seed = Number(t), count = exercises().length;
    if (count && exercises()[0].seed === seed) return;
    model.set("seed", seed);
    if (trySave(model)) return;  // the kernel answers by changing `exercises`
    const python = spec.python ? pagePython() : null;
    if (!python) {
      say("needs-kernel", "A new seed needs a Python kernel (JupyterLab or Voila).");
      return;
    }
    const mine = ++asked;
    say("computing", python.ready ? "computing in the Python in your browser…" : "starting Python in your browser…");
    python.ask({ key_fields: spec.key_fields, check: spec.python.check, record: spec.python.record, inputs: { seed, count } },
      (msg) => { if (mine === asked) say("computing", msg); })
      .then((a) => {
        if (mine !== asked) return;
        if (a.error) { say("error", a.error); return; }
        say("", "");
        use(a.record.exercises);
      })
      .catch((err) => {
        if (mine === asked) say("error", `The Python in your browser failed, so there is no new set: ${err.message}`);
      });
  }
  box.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    set(box.value);
  });
  return { parts: [element("label", { text: "seed" }), box, " ", status], shown,
    // is this set the one shown? (a kernel's change of `exercises` echoes ours)
    isShown: (records) => root.dataset.stateKey === `${records[0].seed}|${records.length}` };
}
