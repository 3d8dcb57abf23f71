// Notebook 07: the guest-write explorer (and, for node, its picture and offset parser).
import { render } from "../writes.js";

export { render };
export { drawWrite, wrParseOffset, wrStale } from "../writes.js";
export { fit } from "../svg.js";
export { recordProblem, schemaErrors } from "../schema.js";
export default { render };
