// Notebook 06: the page-fault explorer (and, for node, its picture, the stepper and simHost).
import { render } from "../fault.js";

export { render };
export { drawFault, faultWho } from "../fault.js";
export { keyPart, simHost, stateKey } from "../sim.js";
export { stepper } from "../stepper.js";
export { recordProblem, schemaErrors } from "../schema.js";
export default { render };
