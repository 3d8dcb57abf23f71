// The page's arithmetic: bit slicing and table lookups over the tables Python sends.
//
// This module knows no DOM, no kernel constant and no formula of its own: every
// layout, rule table, range and character class arrives in `T`, built by
// shadowmmu/frontend/viewdata.py from shadowmmu.consts, shadowmmu.rules and
// shadowmmu.address. It only cuts bits out of a number (the layouts say which),
// looks quadrants up in the rule tables, and parses the address box the way
// shadowmmu.address.parse_address does, message for message.
// tests/frontend/test_node_model.py runs it under plain `node` over all 2**20
// guest pages and every rule, and the parser over >= 10k generated inputs.

// Bits hi:lo of va (inclusive, as the SDM writes them), shifted down. va is an
// unsigned 32-bit number: >>> keeps it unsigned, and a field as wide as va is va.
export function bits(va, hi, lo) {
  const width = hi - lo + 1;
  return width >= 32 ? va >>> 0 : (va >>> lo) & (2 ** width - 1);
}

// va with bits hi:lo replaced by value (which must fit).
export function withBits(va, hi, lo, value) {
  return va - bits(va, hi, lo) * 2 ** lo + value * 2 ** lo;
}

const FIELDS = new WeakMap(); // tables -> {name: field record}, built once per tables object

function fieldsByName(T) {
  let byName = FIELDS.get(T);
  if (!byName) {
    byName = {};
    for (const layout of Object.values(T.layouts)) for (const f of layout) byName[f.name] = f;
    FIELDS.set(T, byName);
  }
  return byName;
}

// The field record (name, hi, lo, label) called `name` in any layout.
export function field(T, name) {
  const f = fieldsByName(T)[name];
  if (!f) throw new Error(`no field ${name} in the layouts`);
  return f;
}

export function withField(T, va, name, value) {
  const f = field(T, name);
  return withBits(va, f.hi, f.lo, value);
}

// Both readings of va, named like shadowmmu.Decomposition's fields.
export function decompose(T, va) {
  const d = { va };
  for (const f of Object.values(fieldsByName(T))) d[f.name] = bits(va, f.hi, f.lo);
  for (const o of T.shadow.offsets) d[o.name] = d[o.index] * o.size;
  return d;
}

// (PD quadrant, PT quadrant) a rule gives va: a lookup by parent index, or the
// bits the address-based rule reads.
export function ruleQuadrants(T, ruleName, va) {
  return quadrantsOf(T, ruleName)(va);
}

// The same, as a function of va for one rule, its lookups done once.
export function quadrantsOf(T, ruleName) {
  const r = T.rules[ruleName];
  if (!r) throw new Error(`unknown rule ${ruleName}`);
  if (r.reads) {
    const { pd, pt } = r.reads;
    return (va) => ({ pd: bits(va, pd.hi, pd.lo), pt: bits(va, pt.hi, pt.lo) });
  }
  const pdI = field(T, r.pd_index), ptI = field(T, r.pt_index);
  return (va) => ({ pd: r.pd[bits(va, pdI.hi, pdI.lo)], pt: r.pt[bits(va, ptI.hi, ptI.lo)] });
}

// A rule over every guest page, against the bits it must carry (the quadrant fields of
// the layouts: VA bits 31:30 and 21), as shadowmmu.exhaustive.check_rule does in numpy:
// {pages, wrongPd, wrongPt, first: {va, level, expected, got} | null}. `first` is the
// lowest wrong address and, at that address, the PD quadrant before the PT quadrant (the
// one order of all three checkers, see shadowmmu/exhaustive.py).
export function checkRule(T, ruleName) {
  const [pdF, ptF] = T.layouts.quadrant;
  const pages = 2 ** T.parser.va_bits / T.shadow.page_size;
  const quadrants = quadrantsOf(T, ruleName);
  let wrongPd = 0, wrongPt = 0, first = null;
  for (let page = 0; page < pages; page++) {
    const va = page * T.shadow.page_size;
    const q = quadrants(va);
    const pd = bits(va, pdF.hi, pdF.lo), pt = bits(va, ptF.hi, ptF.lo);
    if (q.pd !== pd) {
      wrongPd++;
      if (!first) first = { va, level: "pd", expected: pd, got: q.pd };
    }
    if (q.pt !== pt) {
      wrongPt++;
      if (!first) first = { va, level: "pt", expected: pt, got: q.pt };
    }
  }
  return { pages, wrongPd, wrongPt, first };
}

// The state the explorers publish (data-* attributes), for one address and rule.
export function explorerState(T, va, ruleName) {
  const d = decompose(T, va);
  const q = ruleName ? ruleQuadrants(T, ruleName, va) : { pd: d.pd_quadrant, pt: d.pt_quadrant };
  return {
    address: hex(T, va),
    guestPdeIndex: d.guest_pde_index, guestPteIndex: d.guest_pte_index,
    pageOffset: d.page_offset, pdpteIndex: d.pdpte_index,
    paePdeIndex: d.shadow_pde_index, paePteIndex: d.shadow_pte_index,
    pdQuadrant: q.pd, ptQuadrant: q.pt,
  };
}

// 0x%08X, as Python prints our addresses.
export function hex(T, va) {
  return "0x" + va.toString(16).toUpperCase().padStart(T.parser.va_bits / 4, "0");
}

function inRuns(runs, cp) {
  let lo = 0, hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < runs[mid][0]) hi = mid - 1;
    else if (cp > runs[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

// Python's repr() of a str, with Python's own notion of printable.
export function pyRepr(P, s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (!inRuns(P.nonprintable, cp)) out += ch;
    else if (cp < 0x100) out += "\\x" + cp.toString(16).padStart(2, "0");
    else if (cp < 0x10000) out += "\\u" + cp.toString(16).padStart(4, "0");
    else out += "\\U" + cp.toString(16).padStart(8, "0");
  }
  return out + quote;
}

// Python's str.strip(): its whitespace, not JavaScript's trim().
function pyStrip(P, s) {
  const cps = Array.from(s);
  let a = 0, b = cps.length;
  while (a < b && inRuns(P.whitespace, cps[a].codePointAt(0))) a++;
  while (b > a && inRuns(P.whitespace, cps[b - 1].codePointAt(0))) b--;
  return cps.slice(a, b).join("");
}

const HEX = /^(?:0[xX])?[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*$/;
const DEC = /^[0-9]+(?:_[0-9]+)*$/;

// parse_address() for a string from the address box: {ok, value} or {ok: false, message}.
export function parseAddress(P, value, name = P.name) {
  const R = P.valid_range;
  const fail = (message) => ({ ok: false, message });
  const text = pyStrip(P, value);
  const rv = pyRepr(P, value);
  if (!text) return fail(`${name} is empty; give a value in ${R}`);
  if (text.startsWith("-")) return fail(`${name} ${rv} is negative; give a value in ${R}`);
  if (DEC.test(text) && text.length > 1 && text[0] === "0") {
    const dec = text.replace(/^[0_]+/, "") || "0";
    return fail(`${name} ${rv} is ambiguous: write 0x${text} for hex or ${dec} for decimal (${R})`);
  }
  const head = text.slice(0, 2);
  if ((head === "0b" || head === "0B") && HEX.test(text)) {
    return fail(`${name} ${rv} is ambiguous: binary is not accepted; write 0x${text} if you meant hex (${R})`);
  }
  let number;
  if (DEC.test(text)) number = BigInt(text.replaceAll("_", ""));
  else if (HEX.test(text)) {
    const digits = head === "0x" || head === "0X" ? text.slice(2) : text;
    number = BigInt("0x" + digits.replaceAll("_", ""));
  } else {
    return fail(`${name} ${rv} is not a number; give hex like ${P.example || "0xC0200000"} or decimal, in ${R}`);
  }
  if (number < 0n || number > BigInt(P.va_max)) return fail(`${name} ${rv} is outside ${R}`);
  return { ok: true, value: Number(number) };
}

// An exercise answer as exercises.check_answers reads it: the number parseAddress()
// accepts (parse_number's rules and range), or null for a blank or refused answer.
export function parseAnswer(P, value) {
  const r = parseAddress(P, value || "");
  return r.ok ? r.value : null;
}
