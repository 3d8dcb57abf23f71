"""Seeded exercises (notebook 09): predict quadrants, indices and zapped sPTEs.

Knows: the model (address, role, writes) and a private random source seeded
per question. Does not know: HTML, the simulator, ipywidgets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Mapping

from .address import AddressError, decompose, parse_number
from .consts import PG_LEVEL_4K
from .role import PageRole, pae_root_roles, root_role
from .writes import WriteEffect, write_effects

# --------------------------------------------------------------------------
# Notebook 09: exercises
# --------------------------------------------------------------------------

EXERCISE_KINDS = ("address", "pt-write", "pd-write")

#: What each kind of exercise asks for, in order, with the question's words.
EXERCISE_FIELDS = {
    "address": (("pd_quadrant", "PD quadrant"), ("guest_pde_index", "guest PDE index"),
                ("shadow_pde_index", "PAE PDE index"), ("pt_quadrant", "PT quadrant"),
                ("guest_pte_index", "guest PTE index"), ("shadow_pte_index", "PAE PTE index")),
    "pt-write": (("pt_quadrant", "quadrant of the PAE PT that is hit"),
                 ("shadow_pte_index", "the zapped sPTE index")),
    "pd-write": (("pd_quadrant", "quadrant of the PAE PD that is hit"),
                 ("spte_lo", "first zapped PAE PDE"), ("spte_hi", "second zapped PAE PDE")),
}


@dataclass(frozen=True, slots=True)
class Exercise:
    """One seeded question and its answers, all computed by the package."""

    seed: int
    number: int
    kind: str
    va: int | None
    offset: int | None
    question: str
    answers: tuple[tuple[str, int], ...]
    effects: tuple[WriteEffect, ...] = ()

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return EXERCISE_FIELDS[self.kind]


def _pt_roles() -> tuple[PageRole, ...]:
    return tuple(PageRole(level=PG_LEVEL_4K, has_4_byte_gpte=True, quadrant=i) for i in (0, 1))


def make_exercise(seed: int, number: int = 0) -> Exercise:
    """Exercise `number` of series `seed`; the same pair gives the same question on every run:

        >>> make_exercise(7, 0) == make_exercise(7, 0)
        True

    Kinds cycle address, guest-PT write, guest-PD write. Answers come from
    decompose() and write_effects() (4-byte aligned writes, as Linux makes).
    """
    rng = random.Random(f"shadowmmu-exercise:{int(seed)}:{int(number)}")
    kind = EXERCISE_KINDS[int(number) % len(EXERCISE_KINDS)]
    if kind == "address":
        va = rng.getrandbits(32)
        d = decompose(va)
        answers = tuple((name, getattr(d, name)) for name, _ in EXERCISE_FIELDS[kind])
        question = (f"The guest touches 0x{va:08X}. Which PD quadrant, guest PDE, PAE PDE, "
                    f"PT quadrant, guest PTE and PAE PTE does it use?")
        return Exercise(seed, number, kind, va, None, question, answers)
    entry = rng.randrange(1024)
    offset = 4 * entry
    if kind == "pt-write":
        effects = write_effects(_pt_roles(), offset, 4)
        hit = next(e for e in effects if e.action == "zap")
        answers = (("pt_quadrant", hit.role.quadrant), ("shadow_pte_index", hit.sptes[0]))
        question = (f"The guest writes 4 bytes at byte 0x{offset:03X} of one of its page "
                    f"tables (gPTE {entry}), and KVM emulates the write (the table is "
                    f"write-tracked, e.g. also in use as a page directory, so it cannot go "
                    f"unsync). Both PAE page tables of it exist. Which one is hit, and which "
                    f"sPTE is zapped?")
    else:
        effects = write_effects(pae_root_roles(root_role()), offset, 4)
        hit = next(e for e in effects if e.action == "zap")
        answers = (("pd_quadrant", hit.role.quadrant), ("spte_lo", hit.sptes[0]),
                   ("spte_hi", hit.sptes[1]))
        question = (f"The guest writes 4 bytes at byte 0x{offset:03X} of its page directory "
                    f"(gPDE {entry}). Which of the four PAE page directories is hit, and "
                    f"which two PAE PDEs are zapped?")
    return Exercise(seed, number, kind, None, offset, question, answers, effects)


def check_answers(ex: Exercise, given: Mapping[str, str]) -> dict[str, bool | None]:
    """Per field: True (right), False (wrong) or None (blank, or refused by parse_number())."""
    out = {}
    for name, want in ex.answers:
        try:
            got = parse_number(given.get(name, ""), name=name)
        except AddressError:
            got = None
        out[name] = None if got is None else got == want
    return out
