// The page's own Python: a module Web Worker running Pyodide with this package's wheel.
//
// The static site serves this file beside Pyodide's core (vendored from npm, pinned) and
// the package's wheel; js/pyodide_host.js starts it and sends it two kinds of message:
//   {type: "start", pyodide, wheel}  absolute URLs: Pyodide's directory, the wheel file
//   {type: "ask", id, request}       request: JSON for shadowmmu.states.inpage.answer_json
// and it answers with
//   {type: "progress", text, stage, stages}   while starting
//   {type: "ready", ms}                       started (ms: since "start")
//   {type: "failed", error}                   could not start: the error names the step
//   {type: "answer", id, json, ms}            the answer's JSON, as Python wrote it
// Nothing is fetched but the three URLs it is given (and Pyodide's own files beside them).

let started = null;
let answerJson = null;

function progress(stage, text) {
  self.postMessage({ type: "progress", stage, stages: 3, text });
}

async function start({ pyodide, wheel }) {
  const t0 = performance.now();
  progress(1, "starting Python in your browser: downloading Pyodide…");
  let py;
  try {
    const { loadPyodide } = await import(`${pyodide}pyodide.mjs`);
    py = await loadPyodide({ indexURL: pyodide, stdout: () => {}, stderr: () => {} });
  } catch (err) {
    throw new Error(`could not start Pyodide from ${pyodide}: ${err && err.message || err}`);
  }
  const file = wheel.split("/").pop();
  progress(2, `starting Python in your browser: installing ${file}…`);
  let bytes;
  try {
    const resp = await fetch(wheel);
    if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
    bytes = await resp.arrayBuffer();
  } catch (err) {
    throw new Error(`could not fetch the package's wheel ${file}: ${err && err.message || err}`);
  }
  try {
    const site = py.runPython("import sysconfig; sysconfig.get_paths()['purelib']");
    py.unpackArchive(bytes, "wheel", { extractDir: site });
  } catch (err) {
    throw new Error(`could not install ${file}: ${firstLine(err)}`);
  }
  progress(3, "starting Python in your browser: importing shadowmmu…");
  try {
    answerJson = py.pyimport("shadowmmu.states.inpage").answer_json;
  } catch (err) {
    throw new Error(`could not import shadowmmu from ${file}: ${firstLine(err)}`);
  }
  return performance.now() - t0;
}

// A Python traceback's last line names the error; JS errors have a message.
function firstLine(err) {
  const text = String(err && err.message || err).trim().split("\n");
  return text[text.length - 1];
}

self.onmessage = async (ev) => {
  const m = ev.data || {};
  if (m.type === "start") {
    if (!started) started = start(m);
    try {
      const ms = await started;
      self.postMessage({ type: "ready", ms });
    } catch (err) {
      self.postMessage({ type: "failed", error: err.message });
    }
  } else if (m.type === "ask") {
    try {
      await started;
      const t0 = performance.now();
      const json = answerJson(m.request);
      self.postMessage({ type: "answer", id: m.id, json, ms: performance.now() - t0 });
    } catch (err) {
      self.postMessage({ type: "answer", id: m.id, error: firstLine(err) });
    }
  }
};
