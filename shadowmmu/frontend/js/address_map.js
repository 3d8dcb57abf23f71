// Notebook 10's address map: the 4 GiB of guest virtual addresses, cut into the four PD
// quadrants (one PAE page directory, pae_root[q], each), one row per address space, its
// mapped ranges in black. A pure function (tables, record) -> SVG string, no DOM:
// shadowmmu.frontend.figures.address_map() runs it under node for the notebook's static
// picture. The record (shadowmmu.states.address_map.address_map_record) carries data
// only: row labels and [first VA, end VA) ranges; every position is decided here.
// Marked for tests: data-row on each row, data-quadrant on each band, data-va on each range.
import { hex } from "./model.js";
import { WIDTH, esc, rect as box, svgDoc, text } from "./svg.js";

const MAP_LABEL_W = 150, MAP_ROW_H = 26, MAP_TOP = 66, MAP_MIN_W = 2;
const MAP_SPAN = 2 ** 32;

export function drawAddressMap(T, rec) {
  const axisW = WIDTH - MAP_LABEL_W - 10, bandW = axisW / 4;
  const x = (va) => MAP_LABEL_W + (va / MAP_SPAN) * axisW;
  const bottom = MAP_TOP + rec.rows.length * MAP_ROW_H;
  let o = text(0, 16, rec.title, { size: 13, weight: "bold" });
  for (let q = 0; q < 4; q++) {
    const bx = MAP_LABEL_W + q * bandW;
    o += `<g data-quadrant="${q}">` + box(bx, MAP_TOP - 6, bandW, bottom - MAP_TOP + 12, { fill: q % 2 ? "#fff" : "#f2f2f2", stroke: "#999", rx: 0 })
      + text(bx + bandW / 2, MAP_TOP - 26, `PD quadrant ${q}`, { size: 12, anchor: "middle", weight: "bold" })
      + text(bx + bandW / 2, MAP_TOP - 12, `pae_root[${q}]`, { size: 11, anchor: "middle" }) + "</g>";
  }
  rec.rows.forEach((row, n) => {
    const y = MAP_TOP + n * MAP_ROW_H;
    o += `<g data-row="${esc(row.label)}">` + text(0, y + 17, row.label, { size: 12 });
    for (const [lo, hi] of row.ranges) {
      o += `<rect data-va="${hex(T, lo)}" x="${x(lo).toFixed(2)}" y="${y + 5}" width="${Math.max(x(hi) - x(lo), MAP_MIN_W).toFixed(2)}"`
        + ` height="${MAP_ROW_H - 10}" fill="#000"><title>${hex(T, lo)}-${hex(T, hi - 1)}</title></rect>`;
    }
    o += "</g>";
  });
  const ticks = [0, 1, 2, 3].map((q) => [q * 2 ** 30, q ? "middle" : "start"]).concat([[MAP_SPAN - 1, "end"]]);
  for (const [va, anchor] of ticks) o += text(x(va), bottom + 22, hex(T, va), { size: 11, anchor });
  o += text(0, bottom + 42, `guest virtual address; black: mapped (no mark narrower than ${MAP_MIN_W} px, so one 4 KiB page shows)`, { size: 11 });
  const height = bottom + 52;
  return svgDoc(WIDTH, height, rec.title, o, { cls: "smmu-svg smmu-address-map" });
}
