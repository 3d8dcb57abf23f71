// Notebook 09's exercise: the question, one input per answer, "check my answer" and
// "reveal". Answers are read as exercises.check_answers reads them (model.js parseAnswer).
import { parseAnswer } from "./model.js";
import { element } from "./dom.js";

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
