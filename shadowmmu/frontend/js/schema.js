// The record contract, checked in the page before a record is drawn: the same subset of
// JSON Schema as shadowmmu/states/schema.py (type, properties, required,
// additionalProperties, items, enum, minimum, $defs and local $ref), with the same
// messages, so a record Python would refuse is refused here too. Python sends each
// explorer's schema in its spec (spec.schema); sim.js's simHost checks every record,
// precomputed or answered, and node checks the record of a static picture.

const isType = {
  object: (v) => v !== null && typeof v === "object" && !Array.isArray(v),
  array: (v) => Array.isArray(v),
  string: (v) => typeof v === "string",
  boolean: (v) => typeof v === "boolean",
  null: (v) => v === null,
  integer: (v) => Number.isInteger(v),
  number: (v) => typeof v === "number",
};
const ORDER = ["null", "boolean", "integer", "number", "string", "array", "object"];
const js = (v) => JSON.stringify(v);

// Every way value breaks schema, each as "PATH: what is wrong" (empty: it fits).
export function schemaErrors(schema, value, path = "record", root = schema) {
  if (schema.$ref) return schemaErrors(root.$defs[schema.$ref.replace("#/$defs/", "")], value, path, root);
  const out = [];
  if (schema.type !== undefined) {
    const names = typeof schema.type === "string" ? [schema.type] : schema.type;
    if (!names.some((t) => isType[t](value))) {
      return [`${path}: is ${ORDER.find((t) => isType[t](value))}, not ${names.join(" or ")}`];
    }
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) out.push(`${path}: ${js(value)} is not one of ${js(schema.enum)}`);
  if (schema.minimum !== undefined && typeof value === "number" && value < schema.minimum) {
    out.push(`${path}: ${value} is below the minimum ${schema.minimum}`);
  }
  if (isType.object(value)) {
    const props = schema.properties || {}, extra = schema.additionalProperties ?? true;
    for (const k of schema.required || []) if (!Object.prototype.hasOwnProperty.call(value, k)) out.push(`${path}: has no ${js(k)}`);
    for (const [k, v] of Object.entries(value)) {
      if (Object.prototype.hasOwnProperty.call(props, k)) out.push(...schemaErrors(props[k], v, `${path}.${k}`, root));
      else if (extra === false) out.push(`${path}: has ${js(k)}, which the schema does not name`);
      else if (typeof extra === "object") out.push(...schemaErrors(extra, v, `${path}.${k}`, root));
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, n) => out.push(...schemaErrors(schema.items, v, `${path}[${n}]`, root)));
  return out;
}

// The record's problems in one sentence, or "" if it fits (as schema.py's check_record says it).
export function recordProblem(kind, schema, record, where = "record") {
  const p = schemaErrors(schema, record, where);
  if (!p.length) return "";
  const more = p.length > 3 ? ` (and ${p.length - 3} more)` : "";
  return `${kind} record does not fit its schema: ${p.slice(0, 3).join("; ")}${more}`;
}
