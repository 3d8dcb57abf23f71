// The SVG vocabulary every picture is written in: escaping, text, boxes, lines, the
// <svg> element itself and word wrapping. Strings in, strings out: no DOM, so node
// draws the same pictures for the static notebooks. Attributes whose value is the SVG
// default (text-anchor start, font-weight normal) are still written, so a test can
// read every text's geometry from its attributes alone.

export const MONO = "ui-monospace,SFMono-Regular,Menlo,Consolas,monospace";
export const WIDTH = 960;
// A monospace glyph is 0.6 em wide; layouts leave room for 0.62 em.
export const CHAR_EM = 0.62;

export function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const dashAttr = (dash) => (dash ? ` stroke-dasharray="${dash}"` : "");

export function text(x, y, s, { size = 12, anchor = "start", weight = "normal", fill = "#000", extra = "" } = {}) {
  return `<text x="${x}" y="${y}" font-size="${size}" text-anchor="${anchor}" font-weight="${weight}" fill="${fill}"${extra}>${esc(s)}</text>`;
}

// A rectangle; coordinates are written with at most one decimal.
export function rect(x, y, w, h, { fill = "#fff", stroke = "#000", sw = 1, dash = "", rx = 2, opacity = 1, extra = "" } = {}) {
  const n = (v) => String(Math.round(v * 10) / 10);
  const o = opacity < 1 ? ` fill-opacity="${opacity}"` : "";
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" rx="${rx}" fill="${fill}" stroke="${stroke}" stroke-width="${sw}"${dashAttr(dash)}${o}${extra}/>`;
}

// class, data-link, the walk's step and the arrow head of a line or path
function strokeExtras({ link = "", marker = "", cls = "", step = null }) {
  return (link ? ` data-link="${link}"` : "") + (cls ? ` class="${cls}"` : "")
    + (step === null ? "" : ` style="--smmu-step:${step}"`) + (marker ? ` marker-end="url(#${marker})"` : "");
}

// A line; with `marker` (an id from arrowMarker) it ends in an arrow head; `cls` and `step`
// mark a walk arrow (animated by explorer.css in step order, unless the reader asks for less motion).
export function line(x1, y1, x2, y2, { stroke = "#000", sw = 1.5, dash = "", ...extras } = {}) {
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${stroke}" stroke-width="${sw}"${dashAttr(dash)}${strokeExtras(extras)}/>`;
}

// A path through points [[x, y], ...] (an elbow route); options as line()'s.
export function path(points, { stroke = "#000", sw = 1.5, dash = "", ...extras } = {}) {
  const d = points.map(([x, y], i) => `${i ? "L" : "M"}${x},${y}`).join(" ");
  return `<path d="${d}" fill="none" stroke="${stroke}" stroke-width="${sw}"${dashAttr(dash)}${strokeExtras(extras)}/>`;
}

// An arrow-head marker definition (use inside <defs>).
export function arrowMarker(id, size = 10) {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="${size}" markerHeight="${size}" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#000"/></marker>`;
}

// The whole picture: an <svg> with its title (read by screen readers) and defs; `fit`
// scales it down to its box (otherwise the box scrolls: for pictures too wide to shrink).
export function svgDoc(width, height, title, body, { cls = "smmu-svg", defs = "", font = MONO, fit = true } = {}) {
  const style = fit ? ' style="max-width:100%;height:auto;background:#fff"' : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" class="${cls}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}" font-family="${font}"${style}>`
    + (defs ? `<defs>${defs}</defs>` : "") + `<title>${esc(title)}</title>` + body + "</svg>";
}

// Words into lines of at most `chars` characters; a word longer than that is cut.
export function wrap(words, chars) {
  const out = [];
  let row = "";
  for (let word of String(words).split(" ")) {
    while (word.length > chars) {
      if (row) { out.push(row); row = ""; }
      out.push(word.slice(0, chars));
      word = word.slice(chars);
    }
    if (!row) row = word;
    else if (row.length + 1 + word.length <= chars) row += " " + word;
    else { out.push(row); row = word; }
  }
  if (row || !out.length) out.push(row);
  return out;
}

// Text cut to at most n characters at a space, with "…": never half a number.
export function fit(s, n) {
  if (s.length <= n) return s;
  const cut = s.lastIndexOf(" ", n - 2);
  return cut > 0 ? s.slice(0, cut) + " …" : s.slice(0, n - 1) + "…";
}

// How many monospace characters of `size` px fit in `px`.
export function charsIn(px, size) {
  return Math.floor(px / (size * CHAR_EM));
}
