// Notebooks 02-05 and 09: the address explorers (and, for node, the model and the picture).
import { render } from "../explorer.js";

export { render };
export { drawExplorer, TITLES } from "../draw.js";
export { drawRefutation } from "../refutation.js";
export * from "../model.js";
export default { render };
