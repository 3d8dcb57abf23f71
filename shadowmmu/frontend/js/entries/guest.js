// Notebook 08: the whole-guest explorer (and, for node, its pictures).
import { render } from "../guest.js";

export { render };
export { guestDraw, guestLayout, guestMapDraw, guestMark } from "../guest.js";
export { recordProblem, schemaErrors } from "../schema.js";
export default { render };
