// "Is there a kernel?": the one answer every explorer uses.
//
// In JupyterLab or Voila, model.save_changes() sends the widget's state to Python.
// The static page's widget manager (html-manager) has no kernel, and there
// save_changes() does nothing rather than throw: ask the manager first. Elsewhere
// (a stand-in model in tests) save_changes() may throw: no kernel either.

export function hasKernel(model) {
  const wm = model.widget_manager;
  return !(wm && !wm.kernel);
}

// Send the model's changes if a kernel can hear them; true if sent.
export function trySave(model) {
  if (!hasKernel(model)) return false;
  try {
    model.save_changes();
    return true;
  } catch (err) {
    return false;  // no kernel: a static page
  }
}
