// Predict, then see: the one question-and-verdict component of every explorer that asks.
//
// A question is {ask, choices: [{value, label}], answer, explain?}. predictBox() shows
// it as words and one button per choice (class `choiceClass`, data-answer) plus a
// "show" button (.smmu-predict-show); answer(said) gets the chosen choice's value, or
// null for "show me". Afterwards say() writes the verdict in .smmu-predict-verdict:
// "right: …", "wrong: you said …. …" or "answer: …". What the answer reveals is the
// caller's business (a stepper's next step, a hidden quadrant).
import { element } from "./dom.js";

// The verdict on a prediction: "shown" (the reader asked to see it), "right" or "wrong".
export function verdictOf(said, answer) {
  return said === null ? "shown" : said === answer ? "right" : "wrong";
}

// The label of a choice's value (the value itself if no choice has it).
export function choiceLabel(q, value) {
  const c = q.choices.find((x) => String(x.value) === String(value));
  return c ? c.label : String(value);
}

// The verdict in words: what the reader said and what it is.
export function verdictWords(q, verdict, said) {
  const why = q.explain || `it is ${choiceLabel(q, q.answer)}`;
  if (verdict === "right") return `right: ${why}`;
  if (verdict === "wrong") return `wrong: you said ${choiceLabel(q, said)}. ${why}`;
  return `answer: ${why}`;
}

export function predictBox({ choiceClass = "smmu-predict-answer", showText = "just show me" } = {}) {
  const box = element("div", { class: "smmu-predict", hidden: true });
  const verdict = element("div", { class: "smmu-predict-verdict smmu-verdict", role: "status" });
  let asked = null;
  box.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (!b || !asked || b.disabled) return;
    const c = asked.q.choices.find((x) => String(x.value) === b.dataset.answer);
    asked.answer(b.classList.contains("smmu-predict-show") || !c ? null : c.value);
  });
  return {
    box, verdict,
    // show question q; answer(said) is called with a choice's value or null
    ask(q, answer) {
      asked = { q, answer };
      box.replaceChildren(element("span", { class: "smmu-predict-question", text: q.ask }), " ");
      for (const c of q.choices) {
        box.append(element("button", { type: "button", class: choiceClass, "data-answer": String(c.value), text: c.label }), " ");
      }
      box.append(element("button", { type: "button", class: "smmu-predict-show", text: showText }));
      box.hidden = false;
      verdict.textContent = "";
    },
    close() {
      asked = null;
      box.replaceChildren();
      box.hidden = true;
    },
    // the verdict on q (null: none to say)
    say(q, v, said) {
      verdict.textContent = v ? verdictWords(q, v, said) : "";
    },
  };
}
