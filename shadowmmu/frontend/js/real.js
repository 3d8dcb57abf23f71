// Notebook 10's explorers in the page: the controls of the real-guest and CR3-switch
// explorers, wired through sim.js's simHost. A precomputed state answers in the same
// frame; any other input asks the kernel or, without one, says it needs the live
// notebook and keeps the last picture. The pictures are real_draw.js's.
//
// Root data-* (tests read them): data-explorer, data-state-key, data-status, and
//   real-guest: data-snapshot, data-address, data-gpa (absent: not mapped),
//               data-qemu ("exact" | "page" | "no"), data-qemu-gpa (absent: unmapped or
//               not asked), data-agree ("1"/"0"), data-large-pages ("1"/"0")
//   cr3-switch: data-first, data-second, data-rule, data-large-pages, data-found, data-created
import { hex, parseAddress } from "./model.js";
import { checkbox, element } from "./dom.js";
import { simHost } from "./sim.js";
import { statusStrip } from "./status.js";
import { drawCr3Switch, drawRealProbe } from "./real_draw.js";

// ---- the page: controls, simHost, data-*

function realShell(model, kind, label) {
  const root = element("div", { class: "smmu-explorer", "data-explorer": kind, "data-status": "", "aria-label": label });
  const controls = element("div", { class: "smmu-controls smmu-real-controls" });
  const strip = statusStrip(root);
  const picture = element("div", { class: "smmu-picture" });
  root.append(controls, strip.error, strip.status, picture);
  return { root, controls, strip, error: strip.error, picture };
}

// simHost wired to a shell: draw the record, set data-state-key, let mark() set the rest
// of the root's data-* and the controls; returns {host, current()} (the inputs shown).
function realHost(model, shell, draw, mark) {
  const T = model.get("tables"), spec = model.get("spec") || {};
  let current = { ...model.get("inputs") };
  const host = simHost(model, {
    onState(rec, inputs, key) {
      shell.picture.innerHTML = draw(T, spec, rec, inputs);
      shell.root.dataset.stateKey = key;
      current = mark(rec, shell.root.dataset);
      shell.strip.clear();
    },
    onStatus: shell.strip.set,
  });
  return { host, current: () => current, ask: (change) => host.select({ ...current, ...change }) };
}

const realLargeBox = () => checkbox("smmu-large-pages", "host large pages", "smmu-large");

function renderProbe(model, el) {
  const T = model.get("tables"), spec = model.get("spec") || {};
  const shell = realShell(model, "real-guest", "real guest explorer: a snapshot and an address");
  const snap = element("select", { class: "smmu-snapshot", "aria-label": "snapshot" });
  for (const n of spec.snapshots || []) snap.append(element("option", { value: n, text: n }));
  const box = element("input", { class: "smmu-address", type: "text", spellcheck: false,
    "aria-label": `address (${T.parser.valid_range}); Enter to show it` });
  const [large, largeLabel] = realLargeBox();
  shell.controls.append(element("label", { text: "snapshot" }), snap, element("label", { text: "address" }), box, large, largeLabel);
  const presets = element("div", { class: "smmu-presets", "aria-label": "preset addresses" });
  for (const p of spec.address_presets || []) {
    presets.append(element("button", { type: "button", "data-select-address": hex(T, p.va), text: `${hex(T, p.va)} ${p.label}` }), " ");
  }
  shell.root.insertBefore(presets, shell.error);
  el.append(shell.root);
  function showInputs(i) {
    snap.value = i.snapshot;
    box.value = hex(T, i.va);
    large.checked = !!i.host_large_pages;
  }

  const { host, current, ask } = realHost(model, shell, drawRealProbe, (rec, d) => {
    d.snapshot = rec.snapshot;
    d.address = hex(T, rec.va);
    if (rec.gpa === null) delete d.gpa; else d.gpa = hex(T, rec.gpa);
    d.qemu = rec.qemu.asked;
    if (rec.qemu.gpa === null) delete d.qemuGpa; else d.qemuGpa = hex(T, rec.qemu.gpa);
    d.agree = rec.agree ? "1" : "0";
    d.largePages = rec.host_large_pages ? "1" : "0";
    const shown = { snapshot: rec.snapshot, va: rec.va, host_large_pages: rec.host_large_pages };
    showInputs(shown);
    return shown;
  });

  function commitBox() {
    const p = parseAddress(T.parser, box.value);
    if (!p.ok) {
      shell.strip.refuse(p.message);
      return;
    }
    ask({ va: p.value });
  }
  box.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); commitBox(); } });
  snap.addEventListener("change", () => ask({ snapshot: snap.value }));
  large.addEventListener("change", () => ask({ host_large_pages: large.checked }));
  presets.addEventListener("click", (e) => {
    const b = e.target.closest("[data-select-address]");
    if (b) ask({ va: parseAddress(T.parser, b.dataset.selectAddress).value });
  });
  showInputs(current());
  host.initial();
  return () => host.dispose();
}

function renderSwitch(model, el) {
  const T = model.get("tables"), spec = model.get("spec") || {};
  const shell = realShell(model, "cr3-switch", "CR3 switch explorer: which process runs first, host large pages, rule");
  const first = element("select", { class: "smmu-switch-first", "aria-label": "which process runs first" });
  const pair = spec.pair || [];
  for (const n of pair) first.append(element("option", { value: n, text: `${n} first, then ${pair.find((m) => m !== n)}` }));
  const rule = element("select", { class: "smmu-rule", "aria-label": "quadrant rule" });
  for (const r of spec.rules || []) rule.append(element("option", { value: r.name, text: `${r.name}${r.correct ? "" : " (wrong)"}` }));
  const [large, largeLabel] = realLargeBox();
  shell.controls.append(element("label", { text: "order" }), first, large, largeLabel, element("label", { text: "rule" }), rule);
  el.append(shell.root);
  const { host, current, ask } = realHost(model, shell, drawCr3Switch, (rec, d) => {
    d.first = rec.first;
    d.second = rec.second;
    d.rule = rec.rule;
    d.largePages = rec.host_large_pages ? "1" : "0";
    d.found = String(rec.found);
    d.created = String(rec.created);
    first.value = rec.first;
    rule.value = rec.rule;
    large.checked = rec.host_large_pages;
    return { first: rec.first, host_large_pages: rec.host_large_pages, rule: rec.rule };
  });
  first.addEventListener("change", () => ask({ first: first.value }));
  rule.addEventListener("change", () => ask({ rule: rule.value }));
  large.addEventListener("change", () => ask({ host_large_pages: large.checked }));
  first.value = current().first;
  rule.value = current().rule;
  large.checked = !!current().host_large_pages;
  host.initial();
  return () => host.dispose();
}

export function render({ model, el }) {
  return model.get("kind") === "cr3-switch" ? renderSwitch(model, el) : renderProbe(model, el);
}

