// The palette, read from the tables Python sends (shadowmmu.palette via viewdata):
// one colour per concept, the same in every picture. No colour is written here.

// The colour of a field (a concept: "pd_quadrant", "guest_pde_index", ...).
export function fieldColour(T, name) {
  const c = T.colours.field_colours[name];
  if (!c) throw new Error(`no palette colour for ${name}`);
  return c;
}

// A named palette colour ("blue", "orange", ...).
export function paletteColour(T, name) {
  const c = T.colours.palette[name];
  if (!c) throw new Error(`no palette colour named ${name}`);
  return c;
}

// The text colour that reads on a palette colour.
export function inkOn(T, c) {
  return T.colours.ink[c] || "#000";
}
