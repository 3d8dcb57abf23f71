// The one DOM helper: an element with its properties, attributes and children.

export function element(tag, props = {}, children = []) {
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

// A page-unique id (a label's `for` needs its input's id).
export function uid(prefix) {
  return `${prefix}-${Math.random().toString(36).slice(2)}`;
}

// A checkbox and the label naming it.
export function checkbox(cls, words, idPrefix = "smmu-box") {
  const box = element("input", { type: "checkbox", class: cls, id: uid(idPrefix) });
  return [box, element("label", { for: box.id, text: words })];
}
