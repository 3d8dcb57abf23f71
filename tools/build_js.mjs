// Bundle the explorers' ES modules (shadowmmu/frontend/js) into one module per widget
// (shadowmmu/frontend/bundle/*.mjs), the files the package ships: pip install never
// needs node. esbuild is pinned in package.json / package-lock.json.
//
//   node tools/build_js.mjs            rebuild the committed bundles
//   node tools/build_js.mjs OUTDIR     build into OUTDIR (tests/frontend/test_bundle.py
//                                      compares that with the committed bytes)
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "shadowmmu", "frontend", "js", "entries");
const outdir = resolve(process.argv[2] || join(root, "shadowmmu", "frontend", "bundle"));

await build({
  entryPoints: readdirSync(src).filter((f) => f.endsWith(".js")).sort().map((f) => join(src, f)),
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  format: "esm",
  target: "es2020",
  charset: "utf8",
  legalComments: "none",
  // one line a module: small, and not a second copy of the sources to read or to diff
  minifyWhitespace: true,
  logLevel: "warning",
});
