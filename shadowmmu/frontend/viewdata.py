"""The tables the in-page explorers compute from: plain JSON-ready records (notebooks 02-05, 09).

This module knows the model (field layouts from ``consts``, the quadrant rules
of ``rules``, what each shadow page shadows from ``writes``, the parser's
vocabulary from ``address``) and the palette. It does not know ipywidgets,
anywidget, the DOM, the simulator, or any drawing.

The ES modules beside it hold no kernel constant and no formula of their own:
everything numeric they use arrives here, as data, and the JS does only bit
slicing (``bits(va, hi, lo)`` over these layouts) and table lookups. So the
quadrant of a rule reaches the page as a *table*, one entry per parent index,
evaluated here by calling the rule itself:

    rule "mainline", PT quadrant by parent PAE PDE index (bits 29:21):
        index  0  1  2  3  ... 244 245 ... 510 511
        pt     0  1  0  1  ...   0   1 ...   0   1      the even/odd interleave
    rule "halves" (the misconception):
        pt     0  0  0  0  ...   0   0 ...   1   1      0 below 256, 1 from 256

The one rule that reads the address instead of a parent index ("legacy", the
pre-6.0 ``kvm_mmu_get_page()``) arrives as the bits it reads, the quadrant
bits (``pd_quadrant`` and ``pt_quadrant`` of ``consts.BIT_ROLES``); ``tests/frontend`` checks over all 2**20
pages that this is what the rule computes.
"""

from __future__ import annotations

import sys
from functools import lru_cache

from ..address import VALID_RANGE
from ..consts import (
    BIT_ROLES,
    GPTE_SIZE,
    GUEST_4K,
    GUEST_4M,
    NR_PAE_ROOTS,
    PAE_2M,
    PAE_4K,
    PAGE_SIZE,
    PRESETS,
    PT32_ENT_PER_PAGE,
    SPTE_ENT_PER_PAGE,
    SPTE_SIZE,
    VA_BITS,
    VA_MAX,
    Field,
)
from ..palette import FIELD_COLOURS, FIELD_LABELS, INK, PALETTE
from ..role import PageRole, pae_root_roles
from ..rules import QUADRANT_RULES, Rule
from ..writes import shadowed_part

#: Which table entry each arrow key steps, per explorer (left/right, up/down).
ARROW_FIELDS = {
    "address-anatomy": ("guest_pte_index", "guest_pde_index"),
    "pd-split": ("guest_pde_index", "pdpte_index"),
    "pt-split": ("guest_pte_index", "shadow_pde_index"),
    "rule": ("shadow_pde_index", "pdpte_index"),
    "exercise": ("guest_pte_index", "guest_pde_index"),
}
EXPLORERS = tuple(ARROW_FIELDS)
#: The SDM's splits of ``consts``, by the names the page uses.
LAYOUTS = {"guest-4k": GUEST_4K, "guest-4m": GUEST_4M, "pae-4k": PAE_4K, "pae-2m": PAE_2M}
#: The bits the guest consumes and the shadow does not (role.quadrant), from ``consts.BIT_ROLES``.
QUADRANT_BITS = tuple(f for f in BIT_ROLES if f.name in ("pd_quadrant", "pt_quadrant"))


def field_record(f: Field) -> dict:
    """One layout field as the page reads it: ``{"name", "hi", "lo", "label"}``."""
    return {"name": f.name, "hi": f.hi, "lo": f.lo, "label": f.label}


def layout_table() -> dict[str, list[dict]]:
    """Every layout of ``LAYOUTS`` plus the quadrant bits, as lists of field records."""
    out = {name: [field_record(f) for f in layout] for name, layout in LAYOUTS.items()}
    out["quadrant"] = [field_record(f) for f in QUADRANT_BITS]
    return out


def bit_groups() -> list[dict]:
    """The colour groups of the 32 bits, high to low, cut at every boundary of either
    layout (``consts.BIT_ROLES``): 31:30 PD quadrant, 29:22 the pair of PAE PDEs one guest
    PDE becomes, 21 PT quadrant, 20:12 PAE PTE, 11:0 offset."""
    return [field_record(f) for f in BIT_ROLES]


def _pt_roles() -> tuple[PageRole, ...]:
    root = pae_root_roles()[0]
    return tuple(PageRole(level=root.level - 1, has_4_byte_gpte=True, quadrant=q) for q in (0, 1))


def rule_record(rule: Rule) -> dict:
    """One quadrant rule as tables: the PD quadrant per PDPTE index, the PT quadrant per
    parent PAE PDE index; or, for the address-based rule, the address bits it reads."""
    base = {"name": rule.name, "title": rule.title, "formula": rule.formula,
            "status": rule.status, "roots": rule.roots, "correct": rule.correct,
            "levels": sorted(rule.levels)}
    if rule.roots == "address":
        pd_bits, pt_bits = QUADRANT_BITS
        return {**base, "reads": {"pd": field_record(pd_bits), "pt": field_record(pt_bits)}}
    # va=None: a rule that secretly read the address would raise here, not be tabled.
    pd = [int(rule.pd_quadrant_from(i, None)) for i in range(NR_PAE_ROOTS)]
    pt = [int(rule.pt_quadrant_from(i, None)) for i in range(SPTE_ENT_PER_PAGE)]
    return {**base, "pd_index": "pdpte_index", "pd": pd, "pt_index": "shadow_pde_index", "pt": pt}


def kib(nbytes: int) -> str:
    """A size as the pictures print it: ``kib(2048)`` is ``'2 KiB'``."""
    return f"{nbytes // 1024} KiB" if nbytes % 1024 == 0 else f"{nbytes} bytes"


def shadow_table() -> dict:
    """Which slice of the guest PD each PAE PD shadows, and of a guest PT each PAE PT,
    from ``writes.shadowed_part()`` (the same records notebook 03 and 04 tabulate)."""
    def part(role):
        p = shadowed_part(role)
        return {"quadrant": role.quadrant, "first": p.first_gpte, "last": p.first_gpte + p.nr_gptes - 1,
                "byte_lo": p.byte_lo, "byte_hi": p.byte_hi, "sptes_per_gpte": p.sptes_per_gpte,
                "size": kib(p.byte_hi - p.byte_lo + 1)}
    return {"pd": [part(r) for r in pae_root_roles()], "pt": [part(r) for r in _pt_roles()],
            "gpte_size": GPTE_SIZE, "spte_size": SPTE_SIZE, "page_size": PAGE_SIZE,
            "page": kib(PAGE_SIZE),
            "guest_entries": PT32_ENT_PER_PAGE, "shadow_entries": SPTE_ENT_PER_PAGE,
            "nr_pae_roots": NR_PAE_ROOTS, "offsets": [
                # byte offset of an entry = index x entry size, for the readouts
                {"name": "guest_pde_offset", "index": "guest_pde_index", "size": GPTE_SIZE},
                {"name": "guest_pte_offset", "index": "guest_pte_index", "size": GPTE_SIZE},
                {"name": "shadow_pde_offset", "index": "shadow_pde_index", "size": SPTE_SIZE},
                {"name": "shadow_pte_offset", "index": "shadow_pte_index", "size": SPTE_SIZE}]}


def _runs(pred) -> list[list[int]]:
    """Code-point ranges [lo, hi] (inclusive) where pred(chr(c)) holds."""
    runs, start = [], None
    for c in range(sys.maxunicode + 2):
        hit = c <= sys.maxunicode and pred(chr(c))
        if hit and start is None:
            start = c
        elif not hit and start is not None:
            runs.append([start, c - 1])
            start = None
    return runs


@lru_cache(maxsize=1)
def parser_table() -> dict:
    """What the page's address box needs to accept and refuse exactly as
    ``address.parse_address`` does: the range, and Python's own character
    classes (``str.strip``'s whitespace, ``repr``'s non-printables), which
    differ from JavaScript's ``trim()`` and Unicode version."""
    return {"va_bits": VA_BITS, "va_max": VA_MAX, "valid_range": VALID_RANGE,
            "name": "address", "whitespace": _runs(str.isspace),
            "nonprintable": _runs(lambda ch: not ch.isprintable())}


def palette_table() -> dict:
    """The palette, one colour and one label per field, and the ink that reads on each."""
    return {"palette": dict(PALETTE), "field_colours": dict(FIELD_COLOURS),
            "field_labels": dict(FIELD_LABELS), "ink": dict(INK)}


@lru_cache(maxsize=1)
def explorer_tables() -> dict:
    """Everything the ES modules read, in one JSON-ready dict (the ``tables`` traitlet)."""
    return {"layouts": layout_table(),
            "rules": {name: rule_record(r) for name, r in QUADRANT_RULES.items()},
            "rule_order": list(QUADRANT_RULES),
            "shadow": shadow_table(), "parser": parser_table(), "colours": palette_table(),
            "arrows": {k: list(v) for k, v in ARROW_FIELDS.items()},
            "bit_groups": bit_groups(), "presets": list(PRESETS)}
