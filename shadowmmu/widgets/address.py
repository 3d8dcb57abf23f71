"""Notebook 02's explorer: one address as the guest's 10/10/12 and the shadow's 2/9/9/12.

Knows: the common skeleton and ``views.address``. Does not know: the simulator.
"""

from __future__ import annotations

from ..views.address import render_address_anatomy
from .common import DEFAULT_ADDRESS, Explorer, address_skeleton


def address_explorer(initial: int | str = DEFAULT_ADDRESS) -> Explorer:
    """Notebook 02: one address as the guest's 10/10/12 and the shadow's 2/9/9/12.

    Parts: ``address`` (Text, smmu-address), ``presets`` (Buttons), ``bits``
    (32 ToggleButtons, bit 31 first, classes smmu-bit smmu-bit-N), ``readout``
    (``views.render_readout``), ``view`` (``views.render_address_anatomy``),
    ``status`` (errors), ``debug`` (callback tracebacks), ``state.va`` (the
    address the views show).
    """
    return address_skeleton(initial, lambda d: (render_address_anatomy(d),),
                             with_bits=True)
