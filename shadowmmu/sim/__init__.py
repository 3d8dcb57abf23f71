"""The simulator: a 32-bit guest and the shadow MMU that shadows it, split along the kernel's seams.

``guest`` (memory, builder, hardware walk), ``mmu`` (the ShadowMMU facade), its
parts ``cache``, ``fault``, ``sync``, ``tracking`` and ``inspection``, the records
``shadow_page``, ``events`` (the step trace) and ``records`` (plain state for the
views), and ``spte`` (the sPTE bit layout, in one place).

Knows: the model (``shadowmmu.consts``, ``address``, ``role``, ``rules``, ``writes``).
Does not know: scenarios, views or widgets; nothing here draws or imports ipywidgets.
"""
