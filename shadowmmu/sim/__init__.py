"""The simulator: a 32-bit guest and the shadow MMU that shadows it, split along the kernel's seams.

``guest`` (memory, builder) and ``paging32`` (its hardware walk), ``mmu`` (the
ShadowMMU facade), its parts ``tracer``, ``cache``, ``sync``, ``fault``,
``roots``, ``tracking`` and ``inspection``, each owning its own state, the
records ``shadow_page``, ``events`` (the step trace) and ``records`` (plain
state for the views), ``coherence`` (the flush window) and ``spte`` (the sPTE
bit layout, in one place).

Knows: the model (``shadowmmu.consts``, ``address``, ``role``, ``rules``, ``writes``).
Does not know: scenarios, views or widgets; nothing here draws or imports ipywidgets.
"""
