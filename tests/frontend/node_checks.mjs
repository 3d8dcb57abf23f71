// Run the page's model module under plain node, for tests/frontend/test_node_model.py.
//
//   node node_checks.mjs MODULE.mjs TABLES.json model VAS.bin OUT.bin
//       every field of decompose() and every rule's (pd, pt) quadrants for each
//       uint32 address in VAS.bin; OUT.bin holds one uint32 array per name, in the
//       order of OUT.bin.json
//   node node_checks.mjs MODULE.mjs TABLES.json parse INPUTS.json OUT.json
//       parseAddress() of every string: [true, value] or [false, message]
//   node node_checks.mjs MODULE.mjs TABLES.json check - OUT.json
//       checkRule() of every rule over all guest pages
//   node node_checks.mjs MODULE.mjs TABLES.json answer INPUTS.json OUT.json
//       parseAnswer() of every string: a number or null
//
// No npm packages; this file knows nothing about addresses, it only calls the module.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [moduleFile, tablesFile, mode, input, output] = process.argv.slice(2);
const M = await import(pathToFileURL(moduleFile).href);
const T = JSON.parse(readFileSync(tablesFile, "utf8"));
const started = performance.now();

if (mode === "model") {
  const raw = readFileSync(input);
  const vas = new Uint32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const n = vas.length;
  const names = Object.keys(M.decompose(T, 0));
  const rules = T.rule_order;
  const all = [...names, ...rules.flatMap((r) => [`${r}:pd`, `${r}:pt`])];
  const out = new Uint32Array(all.length * n);
  for (let i = 0; i < n; i++) {
    const va = vas[i];
    const d = M.decompose(T, va);
    let k = 0;
    for (const name of names) out[(k++) * n + i] = d[name];
    for (const r of rules) {
      const q = M.ruleQuadrants(T, r, va);
      out[(k++) * n + i] = q.pd;
      out[(k++) * n + i] = q.pt;
    }
  }
  writeFileSync(output, Buffer.from(out.buffer));
  writeFileSync(output + ".json", JSON.stringify({ names: all, ms: performance.now() - started }));
} else if (mode === "parse") {
  const inputs = JSON.parse(readFileSync(input, "utf8"));
  const results = inputs.map((s) => {
    const r = M.parseAddress(T.parser, s);
    return r.ok ? [true, r.value] : [false, r.message];
  });
  writeFileSync(output, JSON.stringify({ results, ms: performance.now() - started }));
} else if (mode === "check") {
  const results = Object.fromEntries(T.rule_order.map((r) => [r, M.checkRule(T, r)]));
  writeFileSync(output, JSON.stringify({ results, ms: performance.now() - started }));
} else if (mode === "answer") {
  const inputs = JSON.parse(readFileSync(input, "utf8"));
  writeFileSync(output, JSON.stringify({ results: inputs.map((s) => M.parseAnswer(T.parser, s)) }));
} else {
  console.error(`unknown mode ${mode}; use model, parse, check or answer`);
  process.exit(2);
}
