// Notebook 10: the real-guest and CR3-switch explorers (and, for node, their pictures).
import { render } from "../real.js";

export { render };
export { drawCr3Switch, drawRealProbe } from "../real_draw.js";
export { drawAddressMap } from "../address_map.js";
export { recordProblem, schemaErrors } from "../schema.js";
export default { render };
