"""One page fault of notebook 06's small guest as a record: its steps, in the kernel's order, with the trees.

``fault_record(inputs)`` runs one guest access on ``scenarios.small``'s guest
and turns the simulator's trace into steps the page reveals one at a time.
Inputs:

    va        the guest virtual address (0..0xFFFFFFFF)
    write     a write access (else a read)
    process   0 or 1: which of the small guest's two CR3s is loaded
    before    "fresh": that CR3 loaded on an empty shadow;
              "after-p1": process 1 (CR3 0) read va first, so its pages are
              in the cache; with process 1 the CR3 is then switched, and a
              fault in the shared kernel half *finds* process 1's level-1
              page (a cache hit) instead of creating one

The steps follow the trace: the CPU's walk of the shadow tables (hardware,
no KVM code) and its miss; FNAME(page_fault)'s walk of the guest tables, or
the guest #PF injected; FNAME(fetch) from ``pae_root[va >> 30]``, each shadow
page found or created with its role, the link and the leaf. Each step says
what it does, what it ``focus``es on in the picture, and which tree holds
after it (an index into ``trees``, where equal trees are stored once). The
step that chooses the root and the one that finds or creates the level-1
page carry a ``predict`` question whose answer is the event's own index or
role.quadrant. Every number comes from the events and the MMU; the trees
after each step are the tree before the access moved by
``trees.apply_event()``, and the last one must equal the MMU's state read
afterwards, or the record is refused.

    >>> r = fault_record({"va": 0xDEADBEEF, "write": False, "process": 0, "before": "fresh"})
    >>> hex(r["gpa"]), [s["predict"]["answer"] for s in r["steps"] if "predict" in s]
    ('0x123eef', [3, 1])

Knows: ``scenarios.small``, the trace events, ``states.trees``. Does not know:
HTML, the page, widgets.
"""

from __future__ import annotations

from ..address import AddressError, parse_address
from ..consts import PAGE_SHIFT, PT_PAGE_SIZE_MASK
from ..sim.events import (
    GuestFaultInjected,
    GuestWalkStep,
    ShadowPageCreated,
    ShadowPageFault,
    ShadowPageFound,
    ShadowWalkStep,
    SpteInstalled,
)
from ..scenarios.small import run_access, small_session
from ..sim.spte import SPTE_LARGE, spte_flags
from .space import canonical_json
from .trees import apply_event, page_id, tree_record

BEFORE = ("fresh", "after-p1")
PROCESSES = (0, 1)
KEY_FIELDS = ("va", "write", "process", "before")


def _h(v: int, digits: int = 8) -> str:
    return f"0x{v:0{digits}X}"


def _setup(inputs: dict):
    """The MMU and CR3s in the state ``before`` names, and the words for it."""
    va, process, before = inputs["va"], inputs["process"], inputs["before"]
    if before == "fresh":
        mmu, cr3s = small_session(process)
        pd = cr3s[process] >> PAGE_SHIFT
        return mmu, cr3s, (f"Process {process + 1}'s CR3 ({_h(cr3s[process])}) is loaded on an empty cache: "
                           f"mmu_alloc_shadow_roots() made the four PAE PDs for guest PD gfn 0x{pd:X}, "
                           f"role.quadrant 0 to 3, and nothing below them yet.")
    mmu, cr3s = small_session(0)
    first = run_access(mmu, va)
    did = ("took a guest #PF" if first.fault else f"was mapped to gpa {_h(first.gpa)}")
    text = f"Process 1 has already read {_h(va)} once (it {did}); "
    if process == 1:
        mmu.load_cr3(cr3s[1])
        text += (f"then the guest switched CR3 to process 2 ({_h(cr3s[1])}): four PAE PDs of its own "
                 f"for guest PD gfn 0x{cr3s[1] >> PAGE_SHIFT:X}, while process 1's pages stay in the cache.")
    else:
        text += "whatever that fault made is still in the shadow tables."
    return mmu, cr3s, text


def _root_question(va: int, ev: ShadowWalkStep, tree: dict) -> dict:
    page = next((p for p in tree["shadow"]["pages"] if p["id"] == tree["shadow"]["pae_root"][ev.index]["page"]), None)
    q = f" (the PAE PD with role.quadrant {page['quadrant']})" if page else ""
    return {"ask": f"Predict first: which pae_root entry does the walk for {_h(va)} start from?",
            "choices": [{"value": i, "label": f"pae_root[{i}]"} for i in range(4)],
            "answer": ev.index,
            "explain": f"VA bits 31:30 of {_h(va)} are {ev.index}: pae_root[{ev.index}]{q}."}


def _pt_question(ev, parent_index: int) -> dict:
    q = ev.role.quadrant
    return {"ask": f"Predict first: which role.quadrant does the level-1 shadow page under PAE PDE "
                   f"{parent_index} get?",
            "choices": [{"value": 0, "label": "q0: guest PTEs 0-511"}, {"value": 1, "label": "q1: guest PTEs 512-1023"}],
            "answer": q,
            "explain": f"role.quadrant = spte_index & 1 = {parent_index} & 1 = {q} (VA bit 21): "
                       f"it shadows guest PTEs {512 * q}-{512 * q + 511} of that guest page table."}


_GPTE_W, _GPTE_D = 1 << 1, 1 << 6  # R/W and Dirty, in a guest PTE and in an sPTE alike


class _Walk:
    """Which shadow page each level of the current walk of the shadow tables is in."""

    def __init__(self) -> None:
        self.page: dict[int, str | None] = {}
        self.last_pd_index = 0
        self.leaf_before: dict[tuple[int, int], int] = {}  # (level, index) -> sPTE FNAME(fetch) read
        self.gpte = 0  # the guest's leaf entry (PTE, or PDE of a 4 MiB page) the walk used

    def at(self, ev: ShadowWalkStep, tree: dict) -> str | None:
        shadow = tree["shadow"]
        if ev.level == 3:
            self.page = {2: shadow["pae_root"][ev.index]["page"]}
            return None
        if ev.level == 2:
            self.last_pd_index = ev.index
            pd = self.page.get(2)
            link = next((s for p in shadow["pages"] if p["id"] == pd for s in p["sptes"]
                         if s["index"] == ev.index and s["kind"] == "link"), None)
            self.page[1] = link["page"] if link else None
            return pd
        return self.page.get(1)


def _walk_step(va: int, ev: ShadowWalkStep, tree: dict, walk: _Walk) -> dict:
    cpu = ev.walker == "cpu"
    who = "The CPU walks KVM's shadow tables (hardware, no KVM code)" if cpu else "FNAME(fetch)"
    sp = walk.at(ev, tree)
    if not cpu:
        walk.leaf_before[ev.level, ev.index] = ev.spte
    if ev.level == 3:
        pid = tree["shadow"]["pae_root"][ev.index]["page"]
        start = (f"{who}: CR3 points at pae_root; VA bits 31:30 = {ev.index} pick pae_root[{ev.index}]"
                 if cpu else f"{who} starts again at the root, pae_root[{ev.index}] (shadow_walk_init_using_root())")
        return {"kind": "walk", "who": ev.walker, "title": f"pae_root[{ev.index}]",
                "text": f"{start} = {_h(ev.spte, 16)}" + ("." if ev.spte else ": empty."),
                "focus": [f"root:{ev.index}"] + ([f"page:{pid}"] if pid else [])}
    name, bits = ("PAE PDE", "29:21") if ev.level == 2 else ("PAE PTE", "20:12")
    what = ("empty: nothing maps this address yet" if not ev.spte
            else "a 2 MiB leaf" if ev.spte & SPTE_LARGE and ev.level == 2
            else "a link to a level-1 shadow page" if ev.level == 2 else "a leaf")
    tail = " — a miss." if cpu and not ev.spte else "."
    return {"kind": "walk", "who": ev.walker, "title": f"{name} {ev.index}",
            "text": f"{who} reads {name} {ev.index} (VA bits {bits}) = {_h(ev.spte, 16)}: {what}{tail}",
            "focus": ([f"page:{sp}", f"spte:{sp}:{ev.index}"] if sp else [])}


def _guest_step(ev: GuestWalkStep, leaf: bool) -> dict:
    name, bits, key = ("guest PDE", "31:22", "gpde") if ev.level == 2 else ("guest PTE", "21:12", "gpte")
    bit = "accessed (and, for a write, dirty) bit" if leaf else "accessed bit"
    return {"kind": "guest-walk", "title": f"{name} {ev.index}",
            "text": (f"FNAME(walk_addr) walks the guest's own tables: {name} {ev.index} (VA bits {bits}) "
                     f"at gpa {_h(ev.entry_gpa)} = {_h(ev.entry)}; KVM sets its {bit} where clear: the CPU "
                     f"never walks these tables, so it cannot."),
            "focus": [f"{key}:{ev.index}"]}


def _page_step(ev, tree: dict, walk: _Walk) -> dict:
    found = isinstance(ev, ShadowPageFound)
    role = f"level {ev.role.level}, role.quadrant {ev.role.quadrant}" + (", direct" if ev.role.direct else "")
    if found:
        text = (f"kvm_mmu_get_shadow_page(): (gfn 0x{ev.gfn:X}, {role}) is already in the cache — a hit: "
                f"no new page, only a link to it.")
    else:
        text = f"kvm_mmu_get_shadow_page(): no page for (gfn 0x{ev.gfn:X}, {role}) yet, so a new one is made."
    return {"kind": "found" if found else "created", "title": ("found" if found else "create") + f" L{ev.role.level} q{ev.role.quadrant}",
            "text": text, "focus": [f"page:{page_id(ev.hpa)}"]}


def _spte_step(ev: SpteInstalled, tree: dict, walk: _Walk) -> dict:
    page = next(p for p in tree["shadow"]["pages"] if p["gfn"] == ev.gfn and p["level"] == ev.role.level
                and p["quadrant"] == ev.role.quadrant and p["direct"] == ev.role.direct)
    spte = next(s for s in page["sptes"] if s["index"] == ev.index)
    focus = [f"page:{page['id']}", f"spte:{page['id']}:{ev.index}"]
    if spte["kind"] == "link":
        text = (f"link_shadow_page(): sPTE {ev.index} of L{ev.role.level} q{ev.role.quadrant} now points at "
                f"the level-1 page = {_h(ev.spte, 16)} ({spte_flags(ev.spte)}: a link allows "
                f"everything, the leaf checks the permissions).")
        focus.append(f"page:{spte['page']}")
    elif walk.leaf_before.get((ev.role.level, ev.index)) == ev.spte:
        text = (f"mmu_set_spte(): the {spte['kind']} sPTE {ev.index} it computes, {_h(ev.spte, 16)} (guest "
                f"frame 0x{spte['gfn']:X}, {spte['flags']}), is the value already there: KVM writes "
                f"nothing and the fault is spurious (RET_PF_SPURIOUS).")
        focus.append("data")
    else:
        text = (f"mmu_set_spte(): the {spte['kind']} sPTE {ev.index} = {_h(ev.spte, 16)} maps guest frame "
                f"0x{spte['gfn']:X} ({spte['flags']}).")
        if walk.gpte & _GPTE_W and not walk.gpte & _GPTE_D and not ev.spte & _GPTE_W:
            text += (f" Read-only although the guest entry {_h(walk.gpte)} allows writes: its dirty bit "
                     f"(D, bit 6) is clear, so KVM maps it read-only (FNAME(protect_clean_gpte)) until "
                     f"the first write faults, sets D in the guest entry and makes the sPTE writable.")
        focus.append("data")
    return {"kind": "leaf" if spte["kind"] != "link" else "link", "title": f"{spte['kind']} sPTE {ev.index}",
            "text": text, "focus": focus}


def _step(ev, va: int, tree_before: dict, tree: dict, walk: _Walk, asked: set) -> dict:
    if isinstance(ev, ShadowWalkStep):
        step = _walk_step(va, ev, tree, walk)
        if ev.level == 3 and "root" not in asked:
            asked.add("root")
            step["predict"] = _root_question(va, ev, tree_before)
        return step
    if isinstance(ev, ShadowPageFault):
        why = "a present sPTE refused it" if ev.error_code & 1 else "no sPTE maps it"
        return {"kind": "exit", "title": "#PF: exit to KVM",
                "text": (f"The CPU raises #PF (error code 0x{ev.error_code:X}: {why}); it exits to KVM: "
                         f"kvm_mmu_page_fault() -> FNAME(page_fault)."), "focus": ["cpu"]}
    if isinstance(ev, GuestWalkStep):  # the leaf: a PTE, or a PDE of a 4 MiB page (PS, bit 7)
        leaf = ev.level == 1 or bool(ev.entry & PT_PAGE_SIZE_MASK)
        if leaf:
            walk.gpte = ev.entry
        return _guest_step(ev, leaf)
    if isinstance(ev, GuestFaultInjected):
        key = "gpde" if "PDE" in ev.reason else "gpte"
        index = va >> 22 if key == "gpde" else (va >> PAGE_SHIFT) & 0x3FF
        return {"kind": "inject", "title": "#PF into the guest",
                "text": (f"The guest's own tables refuse the access ({ev.reason}): KVM injects the #PF into "
                         f"the guest and installs nothing."), "focus": [f"{key}:{index}"]}
    if isinstance(ev, (ShadowPageCreated, ShadowPageFound)):
        step = _page_step(ev, tree, walk)
        if ev.role.level == 1:
            step["predict"] = _pt_question(ev, walk.last_pd_index)
        return step
    if isinstance(ev, SpteInstalled):
        return _spte_step(ev, tree, walk)
    return {"kind": "other", "title": type(ev).__name__, "text": ev.describe(), "focus": []}


def _done(inputs: dict, result) -> dict:
    va = inputs["va"]
    if result.fault:
        return {"kind": "done", "title": "the guest's #PF handler",
                "text": f"The guest's page-fault handler runs next ({result.fault}). The shadow is as it was.",
                "focus": ["cpu"]}
    if not result.faulted:
        text = (f"No fault at all: the shadow tables already map {_h(va)}, and the CPU reaches gpa "
                f"{_h(result.gpa)} without KVM.")
    else:
        text = (f"KVM returns to the guest, which retries the access: the CPU's walk now ends in the leaf, "
                f"{_h(va)} -> gpa {_h(result.gpa)}.")
    return {"kind": "done", "title": f"gpa {_h(result.gpa)}", "text": text, "focus": ["data"]}


def normalise_inputs(inputs: dict) -> dict:
    """The inputs checked: va an address (int or text, as parse_address takes it), write a
    bool, process 0/1, before a BEFORE name; ValueError names the input and what is valid."""
    try:
        va = parse_address(inputs.get("va"))
    except AddressError as err:
        raise ValueError(str(err)) from None
    write = inputs.get("write", False)
    if not isinstance(write, bool):
        raise ValueError(f"write {write!r} must be True or False")
    process = inputs.get("process", 0)
    if isinstance(process, bool) or process not in PROCESSES:
        raise ValueError(f"process {process!r} must be 0 or 1 (the small guest's two CR3s)")
    before = inputs.get("before", "fresh")
    if before not in BEFORE:
        raise ValueError(f"before {before!r} must be one of {', '.join(BEFORE)}")
    return {"va": va, "write": write, "process": process, "before": before}


def fault_record(inputs: dict) -> dict:
    """The record of one access (module doc): steps, deduplicated trees, gpa or fault."""
    inputs = normalise_inputs(inputs)
    va = inputs["va"]
    mmu, cr3s, setup = _setup(inputs)
    cr3 = cr3s[inputs["process"]]
    tree = tree_record(mmu, cr3, va)
    result = run_access(mmu, va, write=inputs["write"])
    trees: list[dict] = []
    seen: dict[str, int] = {}

    def keep(t: dict) -> int:
        k = canonical_json(t)
        if k not in seen:
            seen[k] = len(trees)
            trees.append(t)
        return seen[k]

    steps = [{"kind": "start", "title": "before the access", "text": setup, "focus": ["cr3"], "tree": keep(tree)}]
    walk, asked, gpa = _Walk(), set(), None
    for ev in result.trace:
        after = apply_event(tree, ev)
        step = _step(ev, va, tree, after, walk, asked)
        if step["kind"] == "leaf":
            gpa = result.gpa
        step.update(tree=keep(after), gpa=gpa)
        steps.append(step)
        tree = after
    final = tree_record(mmu, cr3, va)
    if canonical_json(final) != canonical_json(tree):
        raise RuntimeError(f"the steps of {_h(va)} do not add up to the MMU's state afterwards")
    steps.append({**_done(inputs, result), "tree": keep(tree), "gpa": result.gpa})
    fault = None
    for s in steps:
        s.setdefault("gpa", None)
        if s["kind"] == "inject":
            fault = result.fault
        s["fault"] = fault
        s["shadow_pages"] = len(trees[s["tree"]]["shadow"]["pages"])
    outcome = "guest-fault" if result.fault else "mapped" if result.faulted else "hit"
    return {"inputs": inputs, "cr3": cr3, "outcome": outcome, "gpa": result.gpa, "fault": result.fault,
            "steps": steps, "trees": trees}
