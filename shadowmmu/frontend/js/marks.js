// The marks of the address explorers' pictures (02-05, 09): a number the readout
// publishes (data-field, marked when it changes), a touchable entry or bit, an arrow.
import { esc, line, path, text } from "./svg.js";

export const ARROW = "smmu-arrow";

// A number the readout publishes: data-field names it; marked if it just changed.
export function num(view, name, x, y, s, opts = {}) {
  const changed = view.changed && view.changed.includes(name);
  const extra = ` data-field="${name}"` + (changed ? ' class="smmu-changed" text-decoration="underline"' : "");
  return text(x, y, s, { ...opts, weight: changed ? "bold" : opts.weight || "normal", extra });
}

// A touchable box: an entry (select) or a bit; keyboard focusable, with its own words.
export function hit(attrs, label, body) {
  return `<g class="smmu-hit" tabindex="0" role="button" aria-label="${esc(label)}" ${attrs}>${body}</g>`;
}

export function arrowTo(x1, y1, x2, y2, opts = {}) {
  return line(x1, y1, x2, y2, { ...opts, marker: ARROW });
}

// "VA bit 21" or "VA bits 31:30", from a field record.
export function vaBits(f) {
  return f.hi === f.lo ? `VA bit ${f.hi}` : `VA bits ${f.hi}:${f.lo}`;
}

// The three strokes of the two trees, one per meaning, never told apart by colour alone:
// this address's walk (solid, thick, its concept's colour, animated in order), "shadows"
// (dashed, thin black) and other links (dotted, thin grey).
export const STROKE = {
  walk: (colour, step) => ({ stroke: colour, sw: 2.5, cls: "smmu-walk", step }),
  shadows: { stroke: "#000", sw: 1, dash: "4 3" },
  other: { stroke: "#555", sw: 1.2, dash: "1 3" },
};

// An arrow along an elbow route (points), ending in an arrow head.
export function routeTo(points, opts = {}) {
  return path(points, { ...opts, marker: ARROW });
}
