"""The simulator: a 32-bit guest (`guest`), the shadow MMU that shadows it (`mmu`), and the
step trace they emit (`events`).

Knows: the model (`shadowmmu.consts`, `role`, `rules`, `writes`). Does not know: scenarios,
views or widgets; nothing here draws or imports ipywidgets.
"""
