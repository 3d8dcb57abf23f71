// The 32 bits of an address, coloured by the job they do, then the guest's and PAE's cuts
// (notebook 02, and the top of 03-05 and 09). Pure: (tables, view, y0) -> SVG fragment.
import { bits, decompose } from "./model.js";
import { fieldColour, inkOn } from "./palette.js";
import { rect, text } from "./svg.js";
import { hit, num } from "./marks.js";

// "10/10/12": the widths of a layout's fields.
function widths(layout) {
  return layout.map((f) => f.hi - f.lo + 1).join("/");
}

// Fields (of every layout) that contain bit n: the hover keys of that bit.
function fieldsOfBit(T, n) {
  const names = new Set();
  for (const layout of Object.values(T.layouts)) {
    for (const f of layout) if (f.lo <= n && n <= f.hi) names.add(f.name);
  }
  for (const g of T.bit_groups) if (g.lo <= n && n <= g.hi) names.add(g.name);
  return [...names];
}

// The 32 bits, coloured by the job they do, then the guest's and PAE's cuts.
export function bitRows(T, view, y0, withFields = true) {
  const va = view.va, top = T.parser.va_bits - 1, cw = 26, x0 = 116;
  const xOf = (n) => x0 + (top - n) * cw;
  let out = text(10, y0 + 24, "bit", { size: 11 }) + text(10, y0 + 44, "value", { size: 11 });
  for (const g of T.bit_groups) {
    const x = (xOf(g.hi) + xOf(g.lo) + cw - 2) / 2, w = (g.hi - g.lo + 1) * cw;
    const label = w >= 9 * (g.label.length + 6) ? `${g.label} ${g.hi}:${g.lo}` : g.hi === g.lo ? `${g.hi}` : `${g.hi}:${g.lo}`;
    out += `<g data-link="f:${g.name}">` + `<line x1="${xOf(g.hi) + 1}" y1="${y0 + 12}" x2="${xOf(g.lo) + cw - 3}" y2="${y0 + 12}" stroke="${fieldColour(T, g.name)}" stroke-width="4"/>`
      + text(x, y0 + 9, g.name === "pt_quadrant" ? "PT q" : label, { size: 11, anchor: "middle" }) + "</g>";
  }
  y0 += 12;
  for (let n = top; n >= 0; n--) {
    const g = T.bit_groups.find((f) => f.lo <= n && n <= f.hi);
    const c = fieldColour(T, g.name), b = bits(va, n, n);
    const links = fieldsOfBit(T, n).map((f) => "f:" + f).join(" ");
    out += hit(`data-bit="${n}" data-link="${links}" data-focus="bit:${n}"`,
      `bit ${n} = ${b} (${g.label}); activate to flip`,
      rect(xOf(n), y0 + 16, cw - 2, 28, { fill: c, stroke: "#000" })
      + text(xOf(n) + 13, y0 + 12, n, { size: 11, anchor: "middle" })
      + text(xOf(n) + 13, y0 + 35, b, { size: 15, anchor: "middle", weight: "bold", fill: inkOn(T, c) }));
  }
  if (!withFields) return out;
  const rows = [["guest", T.layouts["guest-4k"]], ["PAE", T.layouts["pae-4k"]]].map(([who, l]) => [`${who} ${widths(l)}`, l]);
  const d = decompose(T, va);
  rows.forEach(([title, layout], r) => {
    const y = y0 + 54 + r * 40;
    for (const f of layout) {
      const x = xOf(f.hi), w = (f.hi - f.lo + 1) * cw - 2;
      const value = f.name === "page_offset" ? "0x" + d[f.name].toString(16).toUpperCase().padStart(3, "0") : d[f.name];
      out += `<g data-link="f:${f.name}">` + rect(x, y, w, 32, { fill: "#fff", stroke: fieldColour(T, f.name), sw: 3 })
        + text(x + 4, y + 13, w > 70 ? `${f.label} ${f.hi}:${f.lo}` : f.label, { size: 11 })
        + num(view, f.name, x + 4, y + 28, value, { size: 13, weight: "bold" }) + "</g>";
    }
    out += text(10, y + 20, title, { size: 11 });
  });
  return out;
}

