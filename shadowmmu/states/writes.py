"""Notebook 07's guest write, step by step: the record the in-page write explorer draws.

``write_record(inputs)`` runs one store (or up to three identical ones, to
reach write flooding) into ``scenarios.write_lab()``'s guest page table or page
directory, as ``scenarios.write_experiment()`` does, or into
``scenarios.freed_pd_lab()``'s freed page directory, and cuts what the
simulator did into steps the reader reveals one at a time:

    before       the guest table, the shadow pages of its gfn, the part each covers
    trap         the store is emulated, unsyncs the page table, simply lands, or
                 (a rep stos into a freed directory: not a page-table write) is
                 unprotected and retried
    visit …      kvm_mmu_track_write() reaches each shadow page of the gfn: applies
                 the store (zaps what get_written_sptes() names), skips it for
                 quadrant (QuadrantSkip), or zaps the page whole (misaligned,
                 write flooding); or kvm_mmu_unprotect_page() zaps each page whole
    re-run       an unprotected store: the guest runs it again and it lands
    reload       roots in use were zapped: obsolete, freed, reloaded (if so)
    after        what translate(va) gives now, and whether it is stale (FlushWindow)
    invlpg       the guest's flush; then the next access

Each step has a title, text, ``focus`` (ids the picture marks), the state
after it (the gfn's shadow pages with their present sPTEs, unsync, root and
flooding marks; the guest entries the bytes fall in; the translation), and
the cumulative ``zapped`` sPTE ids, ``visited`` and ``skipped`` page ids so
far. Between two simulator calls the state is read from the live simulator;
inside one store's write path it is replayed from that store's events and
checked against the live state at its end. Ids: a page is its role without
the space (``L1q0``, ``L2q3``), a root loaded after the old one was zapped
gets a ``+`` (``L2q0+``); an sPTE is the page id, a colon and its index (``L2q0:64``).
Questions come from ``states.write_questions``, answered by the events, and
the step texts from ``states.write_texts``; the inputs are checked by
``states.write_inputs``.

Knows: ``scenarios.write_lab``, the ShadowMMU's trace events and its cache's
pages (read only), ``sim.coherence.FlushWindow``, ``writes``. Does not know
HTML, SVG or widgets.
"""

from __future__ import annotations

from ..consts import PAGE_SHIFT, PAGE_SIZE
from ..role import PageRole
from ..scenarios.write_lab import freed_pd_lab, write_lab, write_value, written_va
from ..sim.coherence import FlushWindow
from ..sim.events import (
    GuestWrite,
    PageUnprotected,
    PageUnsync,
    QuadrantSkip,
    RootsFreed,
    ShadowPageCreated,
    ShadowPageZapped,
    SpteInstalled,
    SpteZapped,
)
from ..sim.fault import OutsideGuestMemory
from ..sim.paging32 import GuestPageFault
from ..sim.spte import SPTE_ADDR_MASK, SPTE_LARGE, SPTE_PRESENT, spte_frame
from ..writes import detect_write_misaligned, get_written_sptes, shadowed_part
from .write_inputs import ACTIONS, PAGE_TABLE_WRITE, TABLE_NAMES, normalise_inputs
from .write_questions import gpa_label, page_question, spte_question, translate_question, trap_question
from .write_texts import covers, rerun_text, trap_text, visit_text



# ---------------------------------------------------------------- reading the simulator

def page_id(role: PageRole, generation: int = 0) -> str:
    """``L2q0`` for the role L2 q0; ``L2q0+`` for the root loaded after that one was zapped, ``L2q0++`` next."""
    return role.describe().replace(" ", "") + "+" * generation


def _spte(mmu, sp, index: int, spte: int) -> dict:
    """One present sPTE: its index and what it holds (a guest frame, or a link to a shadow page)."""
    if sp.role.level == 1 or spte & SPTE_LARGE:
        kind = "2 MiB leaf" if spte & SPTE_LARGE else "leaf"
        return {"index": index, "what": f"{kind}: gpa 0x{spte_frame(spte) << PAGE_SHIFT:X}"}
    child = mmu.cache.by_hpa.get(spte & SPTE_ADDR_MASK)
    target = f"gfn 0x{child.gfn:X} {child.role.describe()}" if child is not None else "a freed page"
    return {"index": index, "what": f"link: {target}"}


def _page(mmu, sp, generation: int) -> dict:
    part = shadowed_part(sp.role)
    return {"id": page_id(sp.role, generation), "role": sp.role.describe(), "level": sp.role.level,
            "quadrant": sp.role.quadrant, "byte_lo": part.byte_lo, "byte_hi": part.byte_hi,
            "first_gpte": part.first_gpte, "nr_gptes": part.nr_gptes,
            "sptes": [_spte(mmu, sp, i, s) for i, s in enumerate(sp.spt) if s & SPTE_PRESENT],
            "unsync": sp.unsync, "root": sp.root_count > 0, "flooding": sp.write_flooding_count,
            "gone": None}


#: What a page is (fixed by its role): kept once per record in ``pages``, not in every step.
STATIC = ("role", "level", "quadrant", "byte_lo", "byte_hi", "first_gpte", "nr_gptes")


def _split(pages: list[dict], catalogue: dict) -> list[dict]:
    """A step's pages without what the catalogue already says about them."""
    out = []
    for p in _sorted(pages):
        catalogue.setdefault(p["id"], {k: p[k] for k in STATIC})
        out.append({k: v for k, v in p.items() if k not in STATIC})
    return out


def _live(mmu, gfn: int, generations: dict) -> list[dict]:
    """The gfn's valid shadow pages, in the order the write path visits them (the cache's gfn_pages)."""
    return [_page(mmu, sp, generations.get(sp.role, 0))
            for sp in mmu.cache.gfn_pages.get(gfn, ()) if sp.valid]


def _with_gone(live: list[dict], previous: list[dict]) -> list[dict]:
    """The live pages and the pages zapped earlier (kept, marked gone, so the picture can cross them out)."""
    return _sorted([p for p in previous if p["gone"] is not None] + live)


def _entries(guest, base: int, offset: int, size: int) -> list[dict]:
    first, last = offset // 4, (offset + size - 1) // 4
    return [{"index": e, "byte": 4 * e, "value": guest.read32(base + 4 * e)} for e in range(first, last + 1)]


def _role(page: dict) -> PageRole:
    return PageRole(level=page["level"], has_4_byte_gpte=True, quadrant=page["quadrant"])


def _visits(trace, pages: list[dict], offset: int, size: int) -> list[tuple]:
    """(kind, page, detail) per shadow page the write path reached, in its order, read off the events."""
    misaligned = detect_write_misaligned(offset, size)
    out = []
    for page in (p for p in pages if p["gone"] is None):
        mine = [e for e in trace if isinstance(e, (ShadowPageZapped, QuadrantSkip, SpteZapped))
                and e.role.describe() == page["role"]]
        zap = next((e for e in mine if isinstance(e, ShadowPageZapped)), None)
        if zap is not None:
            out.append(("zap-page", page, zap.reason))
        elif any(isinstance(e, QuadrantSkip) for e in mine):
            out.append(("skip", page, None))
        elif misaligned:
            raise RuntimeError(f"a misaligned store left {page['id']} standing")
        else:
            zapped = [e.index for e in mine if isinstance(e, SpteZapped) and e.reason == "guest write"]
            out.append(("apply", page, {"zapped": zapped,
                                        "named": list(get_written_sptes(_role(page), offset, size))}))
    return out


def _visit_state(state: list[dict], kind: str, page: dict, detail, end: dict) -> list[dict]:
    """The pages after one visit: its zapped sPTEs gone, or the page gone; counts as at the store's end."""
    out = []
    for p in state:
        if p["id"] != page["id"] or p["gone"] is not None:
            out.append(p)
            continue
        q = {**p, "sptes": list(p["sptes"])}
        if kind == "zap-page":
            q.update(sptes=[], gone=detail, root=False)
        elif kind == "apply":
            q["sptes"] = [s for s in p["sptes"] if s["index"] not in detail["zapped"]]
        if q["gone"] is None and page["id"] in end:
            q["flooding"] = end[page["id"]]["flooding"]
        out.append(q)
    return out


def _same(replayed: list[dict], live: list[dict], where: str) -> None:
    """The replay of a store's events must leave what the simulator holds (new roots aside)."""
    def key(pages):
        return sorted((p["id"], tuple(s["index"] for s in p["sptes"])) for p in pages if p["gone"] is None)
    if key(replayed) != key([p for p in live if p["id"] in {r["id"] for r in replayed}]):
        raise RuntimeError(f"{where}: replaying the events gives {key(replayed)}, the simulator holds {key(live)}")


def _sorted(pages: list[dict]) -> list[dict]:
    return sorted(pages, key=lambda p: (p["quadrant"], p["id"]))


class _Steps:
    """The steps so far and the cumulative zapped / visited / skipped ids."""

    def __init__(self):
        self.steps: list[dict] = []
        self.zapped: list[str] = []
        self.visited: list[str] = []
        self.skipped: list[str] = []
        self.pages: dict[str, dict] = {}

    def add(self, title, text, focus, pages, entries, *, events=(), translation=None, stale=None,
            predict=None):
        step = {"title": title, "text": text, "focus": list(focus),
                "state": {"pages": _split(pages, self.pages), "entries": entries, "translation": translation},
                "events": [e.describe() for e in events], "zapped": list(self.zapped),
                "visited": list(self.visited), "skipped": list(self.skipped), "stale": stale}
        if predict is not None:
            step["predict"] = predict
        self.steps.append(step)

    def visit(self, pid: str, skipped: bool = False):
        if pid not in self.visited:
            self.visited.append(pid)
        if skipped and pid not in self.skipped:
            self.skipped.append(pid)


def _store(s: _Steps, mmu, guest, gfn, gens, pages, i, n, base, value, entries_before):
    """One store: its trap step, a step per shadow page the write path reaches, a reload step."""
    table, offset, size, stores = i["table"], i["offset"], i["size"], i["stores"]
    mmu.guest_write(base + offset, value, size, page_table_write=PAGE_TABLE_WRITE[table])
    trace = mmu.last_trace
    action = next(e.action for e in trace if isinstance(e, GuestWrite))
    for e in trace:
        if isinstance(e, ShadowPageCreated) and e.gfn == gfn:
            gens[e.role] = gens.get(e.role, 0) + 1
    entries = _entries(guest, base, offset, size)
    end = {p["id"]: p for p in _live(mmu, gfn, gens)}
    nth = f"store {n + 1} of {stores}: " if stores > 1 else ""
    unsynced = [e for e in trace if isinstance(e, PageUnsync)]
    olds = ", ".join(f"0x{e['value']:08X}" for e in entries_before)
    news = ", ".join(f"0x{e['value']:08X}" for e in entries)
    why = ("The guest page directory is write-tracked" if table == "pd" else
           "The freed page directory still has shadow pages, so it is still write-tracked"
           if table == "freed_pd" else "The switch unsync=False keeps this page table write-tracked")
    text = trap_text(action, why, [page_id(e.role, gens.get(e.role, 0)) for e in unsynced])
    state = pages if action in ("emulate", "unprotect") else _with_gone(list(end.values()), pages)
    s.add(f"{nth}the store: {ACTIONS[action]}",
          f"Guest entry bytes {olds} {'will become' if action == 'unprotect' else 'become'} {news}. {text}",
          ["guest:written"]
          + [page_id(e.role, gens.get(e.role, 0)) for e in unsynced], state, entries,
          events=[e for e in trace if isinstance(e, GuestWrite)][:1] + unsynced,
          predict=trap_question(action, TABLE_NAMES[table]) if n == 0 else None)
    if action not in ("emulate", "unprotect"):
        return state, entries, action, []
    visits = _visits(trace, pages, offset, size)
    if n == 0:
        zapped = [f"{p['id']}:{x}" for k, p, d in visits if k == "apply" for x in d["zapped"]]
        whole = [p["id"] for k, p, d in visits if k == "zap-page"]
        entry = offset // 4
        guess = [2 * (entry % 256), 2 * (entry % 256) + 1] if table == "pd" else [entry % 512]
        questions = [spte_question(table, offset, [p["id"] for _, p, _ in visits], zapped, whole, guess)]
    for k, (kind, page, detail) in enumerate(visits):
        if kind == "zap-page":
            s.zapped += [f"{page['id']}:{x['index']}" for x in page["sptes"]]
        elif kind == "apply":
            s.zapped += [f"{page['id']}:{x}" for x in detail["zapped"]]
        s.visit(page["id"], kind == "skip")
        state = _visit_state(state, kind, page, detail, end)
        predict = None
        if n == 0 and k == 0:
            predict = questions[0]
        elif n == 0 and k == 1:
            named = list(get_written_sptes(_role(page), offset, 4) or (0,))
            predict = page_question(kind, page["id"], detail, named)
        title = {"skip": "skipped for quadrant", "apply": "applies the store",
                 "zap-page": f"zapped whole ({detail})"}[kind]
        s.add(f"{nth}{page['id']} {title}", visit_text(kind, page, detail, offset, size, end),
              [page["id"]] + [f"{page['id']}:{x}" for x in (detail["named"] if kind == "apply" else ())],
              state, entries, events=[e for e in trace if getattr(e, "role", None) == _role(page)
                                      and isinstance(e, (ShadowPageZapped, QuadrantSkip, SpteZapped))],
              predict=predict)
    _same(state, list(end.values()), f"store {n + 1}")
    state = _with_gone(list(end.values()), state)
    if any(isinstance(e, RootsFreed) for e in trace):
        new = [p["id"] for p in end.values() if p["id"].endswith("+")]
        s.add(f"{nth}roots reloaded",
              "The zapped page directories were roots in use. KVM marks them obsolete and asks the vCPU "
              "to drop them (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS); before the guest runs again "
              "kvm_mmu_free_obsolete_roots() frees them and kvm_mmu_reload() loads new, empty roots: "
              f"{', '.join(new)}.", new, state, entries,
              events=[e for e in trace if not isinstance(e, (GuestWrite, ShadowPageZapped, QuadrantSkip,
                                                             SpteZapped, PageUnprotected))])
    if action == "unprotect":
        rerun = [e for e in trace if isinstance(e, GuestWrite)][1:]
        s.add(f"{nth}the guest re-runs the store",
              rerun_text(sum(e.pages for e in trace if isinstance(e, PageUnprotected)),
                         rerun[0].action if rerun else None, news),
              ["guest:written"], state, entries,
              events=[e for e in trace if isinstance(e, PageUnprotected)] + rerun)
    return state, entries, action, visits


def write_record(inputs: dict) -> dict:
    """The steps of one guest store into write_lab()'s PT or PD, with questions, as plain data:

        >>> r = write_record({"table": "pd", "offset": 0x080, "size": 4})
        >>> r["steps"][-1]["zapped"], r["steps"][-1]["skipped"]
        (['L2q0:64', 'L2q0:65'], ['L2q1', 'L2q2', 'L2q3'])
    """
    i = normalise_inputs(inputs)
    table, offset, size = i["table"], i["offset"], i["size"]
    lab = freed_pd_lab(i["unsync"]) if table == "freed_pd" else write_lab(i["unsync"])
    mmu, guest, cr3 = lab.mmu, lab.guest, lab.cr3
    base = lab.pt_gpa if table == "pt" else lab.pd_gpa
    gfn, va, value = base >> PAGE_SHIFT, written_va(table, offset), write_value(table, size)
    gens: dict = {}
    window = FlushWindow(guest, [va])
    window.flush(cr3)
    t_before = mmu.translate(va)
    pages = _live(mmu, gfn, gens)
    entries = _entries(guest, base, offset, size)
    tracked = gfn in mmu.cache.write_track
    s = _Steps()
    names = "; ".join(f"{p['id']} covers {covers(p)}" for p in pages)
    s.add("before the store",
          f"The guest will store {size} byte(s), 0x{value:0{2 * size}X}, at byte 0x{offset:03X} of its "
          f"{TABLE_NAMES[table]} (gfn 0x{gfn:X}), in the entry for VA 0x{va:08X}, which now maps "
          f"{gpa_label(t_before, 'in the shadow')}. The frame is "
          f"{'write-tracked' if tracked else 'write-protected'} and has {len(pages)} shadow pages: {names}."
          + (" Its process has exited and CR3 now holds another process's directory: none of these pages "
             "is a root in use, but KVM keeps them, and tracks the frame, until something zaps them; "
             "now the guest reuses the frame and clear_page() zeroes it with rep stos."
             if table == "freed_pd" else ""),
          ["guest:written"], pages, entries)
    action = None
    for n in range(i["stores"]):
        pages, entries_now, act, _ = _store(s, mmu, guest, gfn, gens, pages, i, n, base, value, entries)
        entries, action = entries_now, action or act
    t_write, g_write = mmu.translate(va), guest.translate(cr3, va)
    incoherent = window.stale(cr3, mmu)  # FlushWindow: nothing beyond what a TLB may hold
    stale = None
    if t_write is not None and (g_write is None or (t_write ^ g_write) & ~(PAGE_SIZE - 1)):
        stale = {"va": va, "shadow": t_write, "guest": g_write, "permitted": window.permits(va, t_write)}
    translation = {"va": va, "before": t_before, "shadow": t_write, "guest": g_write}
    s.add("after the store, before any flush",
          (f"ShadowMMU.translate(0x{va:08X}) still gives the old {gpa_label(t_write, 'stale')}, while the "
           f"guest's tables now say {gpa_label(g_write, 'guest')}: a stale translation, which is allowed, "
           "as a TLB may hold it too, until the guest flushes this address.") if stale else
          (f"ShadowMMU.translate(0x{va:08X}) gives {gpa_label(t_write, 'shadow')}; the guest says "
           f"{gpa_label(g_write, 'guest')}: nothing stale."),
          ["stale" if stale else "translation"], pages, entries, translation=translation, stale=stale,
          predict=translate_question(va, t_before, g_write, t_write))
    mmu.invlpg(va)
    inv = mmu.last_trace
    window.flush(cr3, va)
    s.zapped += [f"{page_id(e.role, gens.get(e.role, 0))}:{e.index}" for e in inv
                 if isinstance(e, SpteZapped) and e.gfn == gfn]
    t_inv = mmu.translate(va)
    after_flush = window.stale(cr3, mmu)
    pages = _with_gone(_live(mmu, gfn, gens), pages)
    s.add("the guest's invlpg",
          f"The guest flushes 0x{va:08X} (invlpg). " + (" ".join(e.describe() for e in inv[:-1]) + ". "
                                                       if len(inv) > 1 else "")
          + f"Now translate(0x{va:08X}) gives {gpa_label(t_inv, 'shadow')}"
          + ("; nothing stale is left." if not after_flush else f"; STILL STALE: {after_flush}."),
          ["translation"], pages, entries, events=inv,
          translation={**translation, "shadow": t_inv, "guest": g_write})
    try:
        got = mmu.access(va)
        access = f"gpa 0x{got:X}"
    except GuestPageFault:
        got, access = None, "a guest #PF: the guest's tables no longer map it"
    except OutsideGuestMemory as err:  # a misaligned store can point the entry anywhere
        got, access = None, f"gpa 0x{err.gpa:X}: outside guest memory (KVM: MMIO)"
    refilled = [f"{page_id(e.role, gens.get(e.role, 0))}:{e.index}" for e in mmu.last_trace
                if isinstance(e, SpteInstalled) and e.gfn == gfn]
    pages = _with_gone(_live(mmu, gfn, gens), pages)
    s.add("the next access",
          f"The guest touches 0x{va:08X}: {access}."
          + (f" The fault installs {', '.join(refilled)} again." if refilled else ""),
          refilled or ["translation"], pages, entries,
          translation={**translation, "shadow": mmu.translate(va), "guest": g_write})
    return {"inputs": i, "table_name": TABLE_NAMES[table], "pages": s.pages, "gfn": gfn, "base_gpa": base, "va": va,
            "value": value, "entry": offset // 4, "misaligned": detect_write_misaligned(offset, size),
            "write_tracked": tracked, "action": action, "page_table_write": PAGE_TABLE_WRITE[table],
            "incoherent": [list(x) for x in incoherent + after_flush], "steps": s.steps,
            "summary": {"zapped": s.zapped, "visited": s.visited, "skipped": s.skipped,
                        "stale": stale is not None, "access": access, "access_gpa": got}}
