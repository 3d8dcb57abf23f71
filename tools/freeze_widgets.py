"""Freeze kernel-bound widget outputs into static HTML pictures of their stored first state.

Used by tools/build_site.py. A widget output whose model tree holds no anywidget model is
driven by Python callbacks: in a page with no kernel its controls would move and nothing
would follow. ``freeze_widgets(nb)`` replaces each such output by plain HTML drawn from the
widget state nbclient stored (``store_widget_state=True``): HTML widgets give their value
(the explorer's pictures), Output widgets their outputs, boxes their children, and controls
are drawn disabled with their values, under a note that says why. Outputs with an anywidget
stay live, and the notebook's widget state is pruned to the models they reach.

It knows the ipywidgets 8 state format (model_name, ``IPY_MODEL_`` references), nothing
about paging, and does not execute or export notebooks.
"""

from __future__ import annotations

import html

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

FROZEN_NOTE = (
    "<strong>A static picture</strong> of this explorer's first state: its controls need a Python kernel, "
    "so here they are drawn disabled. Run the notebook in JupyterLab (<code>make lab</code>) "
    "or Voila (<code>make app</code>) to use it.")

def _ref(value) -> str | None:
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        return value[len("IPY_MODEL_"):]
    return None


def reachable(models: dict, roots: list[str]) -> set[str]:
    """Ids of every model the roots refer to, directly or through other models."""
    seen, todo = set(), list(roots)
    while todo:
        mid = todo.pop()
        if mid in seen or mid not in models:
            continue
        seen.add(mid)

        def walk(v):
            if isinstance(v, dict):
                for x in v.values():
                    walk(x)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
            elif _ref(v):
                todo.append(_ref(v))
        walk(models[mid].get("state", {}))
    return seen


LINKS = ("LinkModel", "DirectionalLinkModel")


def links_between(models: dict, kept: set[str]) -> set[str]:
    """jslink/jsdlink models joining two kept models: nothing refers to a link, so
    reachable() misses them, but the page needs them to keep linked explorers in step."""
    out = set()
    for mid, m in models.items():
        if m.get("model_name") in LINKS:
            ends = [_ref((m.get("state", {}).get(k) or [None])[0]) for k in ("source", "target")]
            if all(e in kept for e in ends):
                out |= reachable(models, [mid])
    return out


def uses_anywidget(models: dict, root: str) -> bool:
    return any(models[m].get("model_module") == "anywidget" for m in reachable(models, [root]))


def _hidden(models: dict, state: dict) -> bool:
    layout = models.get(_ref(state.get("layout")) or "", {}).get("state", {})
    return layout.get("display") == "none" or layout.get("visibility") == "hidden"


def _label(state: dict) -> str:
    d = state.get("description") or ""
    return f'<label class="smmu-frozen-label">{html.escape(d)}</label> ' if d else ""


def render_output(models: dict, out: dict) -> str:
    """One stored cell output (of an Output widget) as static HTML."""
    if out.get("output_type") == "stream":
        return f"<pre>{html.escape(''.join(out.get('text', '')))}</pre>"
    data = out.get("data", {})
    if WIDGET_VIEW in data:
        return render_model(models, data[WIDGET_VIEW]["model_id"])
    for mime in ("text/html", "image/svg+xml"):
        if mime in data:
            return "".join(data[mime])
    if "image/png" in data:
        return f'<img alt="figure" src="data:image/png;base64,{data["image/png"]}">'
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def render_model(models: dict, mid: str) -> str:
    """The stored state of one ipywidgets model as static HTML, controls disabled."""
    model = models.get(mid)
    if model is None:
        return ""
    name, s = model.get("model_name", ""), model.get("state", {})
    if _hidden(models, s):
        return ""
    kids = [render_model(models, _ref(c)) for c in s.get("children", []) if _ref(c)]
    if name in ("VBoxModel", "BoxModel", "GridBoxModel"):
        return '<div class="smmu-frozen-box">' + "".join(kids) + "</div>"
    if name == "HBoxModel":
        return ('<div class="smmu-frozen-box" style="display:flex;flex-wrap:wrap;gap:4px">'
                + "".join(kids) + "</div>")
    if name in ("TabModel", "AccordionModel", "StackModel"):
        titles = s.get("titles") or []
        return "".join(
            f"<h4>{html.escape(str(titles[i]) if i < len(titles) and titles[i] else '')}</h4>{k}"
            for i, k in enumerate(kids))
    if name in ("HTMLModel", "HTMLMathModel"):
        return f"<div>{_label(s)}{s.get('value', '')}</div>"
    if name == "LabelModel":
        return f"<span>{html.escape(s.get('value', ''))}</span>"
    if name == "OutputModel":
        return "".join(render_output(models, o) for o in s.get("outputs", []))
    if name in ("TextModel", "TextareaModel", "IntTextModel", "FloatTextModel",
                "BoundedIntTextModel", "BoundedFloatTextModel"):
        return (f'<span>{_label(s)}<input type="text" disabled '
                f'value="{html.escape(str(s.get("value", "")))}"></span>')
    if "options" in s or "_options_labels" in s:
        labels = s.get("_options_labels") or s.get("options") or []
        index = s.get("index")
        picked = set(index) if isinstance(index, list) else {index}
        opts = "".join(f"<option{' selected' if i in picked else ''}>{html.escape(str(o))}</option>"
                       for i, o in enumerate(labels))
        return f"<span>{_label(s)}<select disabled>{opts}</select></span>"
    if name in ("CheckboxModel", "ToggleButtonModel"):
        checked = " checked" if s.get("value") else ""
        return (f'<label><input type="checkbox" disabled{checked}> '
                f"{html.escape(s.get('description', ''))}</label>")
    if name == "ButtonModel":
        return f"<button disabled>{html.escape(s.get('description', ''))}</button>"
    if "value" in s and name.endswith("SliderModel"):
        return f"<span>{_label(s)}{html.escape(str(s['value']))}</span>"
    return "".join(kids)


def freeze_widgets(nb: nbformat.NotebookNode) -> tuple[int, int]:
    """Freeze every widget output that has no anywidget in it; keep the state the others need.

    Returns (frozen, live) output counts. The notebook's widget state is pruned to the
    models the live outputs reach, and dropped when none is live."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    models = state.get("state", {})
    frozen, live_roots = 0, []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            mid = view["model_id"]
            if mid in models and uses_anywidget(models, mid):
                live_roots.append(mid)
                continue
            body = render_model(models, mid) if mid in models else ""
            out["data"] = {"text/html": (
                '<div class="smmu-frozen" style="border-left:4px solid #888;padding-left:8px">'
                f'<p class="smmu-frozen-note">{FROZEN_NOTE}</p>{body}</div>')}
            frozen += 1
    if live_roots:
        keep = reachable(models, live_roots)
        keep |= links_between(models, keep)
        state["state"] = {k: v for k, v in models.items() if k in keep}
    else:
        nb.metadata.pop("widgets", None)
    return frozen, len(live_roots)


