// The page's own Python, for a simulator explorer with no kernel (the static site).
//
// The site's pages carry <meta name="shadowmmu-python" content='{"worker", "pyodide",
// "wheel", "warm"}'> (tools/build_site.py): where, relative to the page, the worker
// (pyodide_worker.js), Pyodide's core and the package's wheel are. A page without it --
// JupyterLab, Voila (a kernel answers there), an HTML export elsewhere -- has no in-page
// Python, and pagePython() returns null.
//
// One worker per page, shared by every explorer on it (each widget's module is its own
// copy of this file, so the client lives on globalThis). It starts on the first ask(), or
// earlier by warm(): "warm": "idle" in the meta starts it as soon as the page is idle
// (unless the browser asks to save data), so that the first answer does not wait for
// Pyodide to start (README, "The static site": the measurements behind the choice).
// ask(request, onProgress) resolves to the answer {key, inputs, record} or {error};
// it rejects with an Error naming what failed (fetching Pyodide, the wheel, importing).

const GLOBAL = "__shadowmmuPython";

export function pythonConfig(doc = globalThis.document) {
  const meta = doc && doc.querySelector && doc.querySelector('meta[name="shadowmmu-python"]');
  if (!meta) return null;
  let c;
  try {
    c = JSON.parse(meta.getAttribute("content"));
  } catch (err) {
    return null;
  }
  const at = (rel) => new URL(rel, doc.baseURI).href;
  return { worker: at(c.worker), pyodide: at(c.pyodide), wheel: at(c.wheel), warm: c.warm || "first-input" };
}

export function pagePython() {
  const g = globalThis;
  if (g[GLOBAL] !== undefined) return g[GLOBAL];
  const cfg = typeof Worker === "undefined" ? null : pythonConfig();
  g[GLOBAL] = cfg ? pythonClient(cfg) : null;
  const saveData = g.navigator && g.navigator.connection && g.navigator.connection.saveData;
  if (cfg && cfg.warm === "idle" && !saveData) {
    const idle = g.requestIdleCallback || ((f) => setTimeout(f, 1000));
    idle(() => g[GLOBAL].warm());
  }
  return g[GLOBAL];
}

export function pythonClient(cfg) {
  let worker = null, ready = null, serial = 0, progressText = "";
  const waiting = new Map();
  const listeners = new Set();
  // what the tests and the benchmark read: when it started, when ready, each answer's time
  const log = { startAt: null, readyAt: null, startMs: null, answers: [] };

  function fail(error) {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  }

  function start() {
    if (ready) return ready;
    log.startAt = performance.now();
    ready = new Promise((resolve, reject) => {
      try {
        worker = new Worker(cfg.worker, { type: "module" });
      } catch (err) {
        reject(new Error(`could not start the worker ${cfg.worker}: ${err.message}`));
        return;
      }
      worker.onmessage = (ev) => {
        const m = ev.data || {};
        if (m.type === "progress") {
          progressText = `${m.text} (${m.stage}/${m.stages})`;
          for (const f of listeners) f(progressText);
        } else if (m.type === "ready") {
          log.readyAt = performance.now();
          log.startMs = m.ms;
          resolve();
        } else if (m.type === "failed") {
          const err = new Error(m.error);
          reject(err);
          fail(err);
        } else if (m.type === "answer") {
          const w = waiting.get(m.id);
          if (!w) return;
          waiting.delete(m.id);
          if (m.error) w.reject(new Error(m.error));
          else {
            const a = JSON.parse(m.json);
            log.answers.push({ key: a.key, ms: m.ms, at: performance.now(), record: a.record });
            w.resolve(a);
          }
        }
      };
      worker.onerror = (ev) => {
        const err = new Error(`the worker ${cfg.worker} failed: ${ev.message || "it could not be loaded"}`);
        reject(err);
        fail(err);
      };
      worker.postMessage({ type: "start", pyodide: cfg.pyodide, wheel: cfg.wheel });
    });
    ready.catch(() => {});
    return ready;
  }

  async function ask(request, onProgress = () => {}) {
    listeners.add(onProgress);
    if (progressText && log.readyAt === null) onProgress(progressText);
    try {
      await start();
    } finally {
      listeners.delete(onProgress);
    }
    const id = ++serial;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ type: "ask", id, request: JSON.stringify(request) });
    });
  }

  return {
    ask, log, config: cfg,
    warm() { start(); },
    get ready() { return log.readyAt !== null; },
  };
}
