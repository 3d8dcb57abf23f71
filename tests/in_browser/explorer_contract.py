"""Drive the in-page explorers through issue 11's testing contract, and check them against shadowmmu.

The contract (kept stable on purpose): each explorer's root is ``.smmu-explorer`` with
``data-explorer`` naming it and its state in ``data-*`` attributes (``data-address`` as
0x%08X, the indices and quadrants in decimal, ``data-rule`` where a rule is chosen); its
address box is ``input.smmu-address`` (Enter commits); a refused input shows ``.smmu-error``
and changes nothing; clickable bits carry ``data-bit``, clickable entries
``data-select-address``.

The expected values come from the package in this test process, never from the page:
``parse_address()`` for what a typed text means (or the message it refuses it with),
``decompose()`` for the indices and quadrants, ``QUADRANT_RULES[rule]`` for a chosen rule's
answer. What the package itself gets right is pinned elsewhere by independent oracles
(the golden table, the pre-6.0 formula, QEMU); here the question is whether the page agrees
with it. This module works on any page — the static site, JupyterLab or Voila — and knows
nothing about servers.
"""

from __future__ import annotations

import random

from shadowmmu import QUADRANT_RULES, decompose, parse_address

from in_browser.harness import LOAD_MS, STEP_MS

# notebook (page stem) -> the explorer it is about; the issue moves these five into the page.
EXPLORER_PAGES = {
    "address-anatomy": "02-address-anatomy",
    "pd-split": "03-pd-split",
    "pt-split": "04-pt-split",
    "rule": "05-role-from-parent",
    "exercise": "09-exercises",
}
# data-* attribute -> Decomposition field
FIELDS = {
    "guest-pde-index": "guest_pde_index", "guest-pte-index": "guest_pte_index",
    "page-offset": "page_offset", "pdpte-index": "pdpte_index",
    "pae-pde-index": "shadow_pde_index", "pae-pte-index": "shadow_pte_index",
    "pd-quadrant": "pd_quadrant", "pt-quadrant": "pt_quadrant",
}
ATTRS = ("address", *FIELDS, "rule")

GOOD_INPUTS = ("0xC0200000", "c0200000", "0xC020_0000", "3221225472", "0x00400000",
               "0XdeadBEEF", "0", "0xFFFFFFFF", "4294967295")
BAD_INPUTS = ("0x100000000", "not-an-address", "00200000", "-1", "4294967296", "0x", "")
UPDATE_MS = STEP_MS   # one change answered; sized for a loaded machine (harness.py)

JS_STATE = """(root) => {
  const out = {};
  for (const a of ATTRS) { const v = root.getAttribute('data-' + a); if (v !== null) out[a] = v; }
  return out;
}""".replace("ATTRS", repr(list(ATTRS)))

# The picture as text: the root's text without the address box and error messages (so a
# refused input, which only adds a message, leaves it equal) — robust to flash classes.
JS_PICTURE = """(root) => {
  const c = root.cloneNode(true);
  c.querySelectorAll('.smmu-error, input, script, style').forEach(e => e.remove());
  return c.textContent.replace(/\\s+/g, ' ').trim();
}"""


def hex32(va: int) -> str:
    return f"0x{va:08X}"


def expected(va: int, rule: str | None = None) -> dict[str, str]:
    """The data-* state the contract asks for at va, computed by shadowmmu."""
    d = decompose(va)
    want = {"address": hex32(va), **{a: str(getattr(d, f)) for a, f in FIELDS.items()}}
    if rule is not None:
        r = QUADRANT_RULES[rule]
        want.update({"rule": rule, "pd-quadrant": str(r.pd_quadrant(va)),
                     "pt-quadrant": str(r.pt_quadrant(va))})
    return want


def refusal(text: str) -> str:
    """The message parse_address refuses text with (it must refuse it)."""
    try:
        parse_address(text)
    except ValueError as err:
        return str(err)
    raise AssertionError(f"parse_address accepts {text!r}: not a bad input")


class Explorer:
    """One explorer on a page, found by its data-explorer name."""

    def __init__(self, page, name: str, timeout_ms: int = LOAD_MS, scope=None, nth: int = 0):
        """The nth explorer named name on page, or inside the locator scope."""
        self.page, self.name = page, name
        self.root = (scope or page).locator(f'.smmu-explorer[data-explorer="{name}"]').nth(nth)
        self.root.wait_for(state="visible", timeout=timeout_ms)
        self.page.wait_for_function("(r) => r.hasAttribute('data-address')",
                                    arg=self.root.element_handle(), timeout=timeout_ms)

    # -- reading
    def state(self) -> dict[str, str]:
        return self.root.evaluate(JS_STATE)

    def picture(self) -> str:
        return self.root.evaluate(JS_PICTURE)

    def rule(self) -> str | None:
        return self.state().get("rule")

    def check(self, va: int, what: str) -> dict[str, str]:
        """Assert the explorer's state is shadowmmu's for va (and its rule, if it has one)."""
        got = self.state()
        rule = got.get("rule")
        if rule is not None:
            assert rule in QUADRANT_RULES, f"{self.name}: data-rule={rule!r} is no QUADRANT_RULES key"
        want = expected(va, rule)
        missing = sorted(set(want) - set(got))
        assert not missing, f"{self.name} {what}: no data-{', data-'.join(missing)} on the root"
        wrong = {k: (got[k], v) for k, v in want.items() if got[k] != v}
        assert not wrong, f"{self.name} {what}: (shown, shadowmmu) differ: {wrong}"
        return got

    def wait_address(self, va: int, what: str) -> dict[str, str]:
        want = hex32(va)
        try:
            self.page.wait_for_function(
                "([r, w]) => r.getAttribute('data-address') === w",
                arg=[self.root.element_handle(), want], timeout=UPDATE_MS)
        except Exception as exc:    # playwright's TimeoutError: say what the page shows
            raise AssertionError(f"{self.name} {what}: data-address never became {want}; "
                                 f"the explorer shows {self.state()}") from exc
        return self.check(va, what)

    # -- acting
    def box(self):
        return self.root.locator("input.smmu-address").first

    def enter(self, text: str) -> None:
        box = self.box()
        box.fill(text)
        box.press("Enter")

    def error_text(self) -> str:
        errs = self.root.locator(".smmu-error")
        return " ".join(t for t in errs.all_inner_texts() if t.strip())

    def address(self) -> int:
        return int(self.state()["address"], 16)


# --------------------------------------------------------------------------- exercises

def type_good_and_bad(ex: Explorer, good=GOOD_INPUTS, bad=BAD_INPUTS) -> None:
    """Every good spelling selects parse_address's value; every bad one is refused with
    parse_address's message and changes neither data-address nor the picture."""
    for text in good:
        va = parse_address(text)
        if va == ex.address():               # make the change visible first
            ex.enter(hex32(va ^ 0x40200000))
            ex.wait_address(va ^ 0x40200000, "before retyping")
        before = ex.picture()
        ex.enter(text)
        ex.wait_address(va, f"after typing {text!r}")
        assert ex.picture() != before, f"{ex.name}: typing {text!r} left the picture as it was"
        assert not ex.error_text(), f"{ex.name}: {text!r} accepted but an error shows: {ex.error_text()}"
    for text in bad:
        state, picture, msg = ex.state(), ex.picture(), refusal(text)
        ex.enter(text)
        try:
            ex.root.locator(".smmu-error", has_text=msg).first.wait_for(
                state="visible", timeout=UPDATE_MS)
        except Exception as exc:
            raise AssertionError(f"{ex.name}: typing {text!r} did not show parse_address's "
                                 f"message {msg!r}; errors shown: {ex.error_text()!r}") from exc
        assert ex.state() == state, f"{ex.name}: refused {text!r} changed the state"
        assert ex.picture() == picture, f"{ex.name}: refused {text!r} changed the picture"
    ex.enter("0x40000000")                   # a good one clears the error
    ex.wait_address(0x40000000, "after a good address following bad ones")
    ex.root.locator(".smmu-error").first.wait_for(state="hidden", timeout=UPDATE_MS)


def click_bits(ex: Explorer, bits=(21, 31, 30, 22, 12, 0, 11, 29)) -> None:
    """Clicking data-bit=N flips bit N of the address, nothing else."""
    present = ex.root.locator("[data-bit]").count()
    assert present >= 32, f"{ex.name}: {present} elements with data-bit, expected >= 32"
    for bit in bits:
        va = ex.address() ^ (1 << bit)
        before = ex.picture()
        ex.root.locator(f'[data-bit="{bit}"]').first.click()
        ex.wait_address(va, f"after clicking bit {bit}")
        assert ex.picture() != before, f"{ex.name}: bit {bit} flipped but the picture did not change"


def click_entries(ex: Explorer, rng: random.Random, n: int = 6) -> int:
    """Clicking an entry selects the address it advertises; returns how many were clicked."""
    entries = ex.root.locator("[data-select-address]")
    count = entries.count()
    assert count > 0, f"{ex.name}: no clickable entry (data-select-address)"
    picks = sorted({0, count - 1, *(rng.randrange(count) for _ in range(n))})
    clicked = 0
    for i in picks:
        entry = entries.nth(i)
        if not entry.is_visible():
            continue
        text = entry.get_attribute("data-select-address")
        va = parse_address(text)
        assert text == hex32(va), f"{ex.name}: data-select-address={text!r} is not 0x%08X"
        if va == ex.address():
            continue
        entry.click()
        ex.wait_address(va, f"after clicking the entry for {text}")
        clicked += 1
        entries = ex.root.locator("[data-select-address]")     # the picture was redrawn
        count = entries.count()
        if count == 0:
            break
    assert clicked > 0, f"{ex.name}: every visible entry selected the current address"
    return clicked


def cycle_rules(ex: Explorer) -> list[str]:
    """Where the explorer offers rules (data-select-rule, or a <select> of rule keys), pick
    each one and check the quadrants are that rule's answer. Returns the rules seen."""
    seen = []
    buttons = ex.root.locator("[data-select-rule]")
    if buttons.count():
        names = [buttons.nth(i).get_attribute("data-select-rule") for i in range(buttons.count())]
        for rule in names:
            ex.root.locator(f'[data-select-rule="{rule}"]').first.click()
            ex.page.wait_for_function("([r, w]) => r.getAttribute('data-rule') === w",
                                      arg=[ex.root.element_handle(), rule], timeout=UPDATE_MS)
            ex.check(ex.address(), f"with rule {rule}")
            seen.append(rule)
        return seen
    select = ex.root.locator("select.smmu-rule").first
    if select.count():
        values = select.evaluate("(s) => [...s.options].map(o => o.value)")
        for rule in [v for v in values if v in QUADRANT_RULES]:
            select.select_option(rule)
            ex.page.wait_for_function("([r, w]) => r.getAttribute('data-rule') === w",
                                      arg=[ex.root.element_handle(), rule], timeout=UPDATE_MS)
            ex.check(ex.address(), f"with rule {rule}")
            seen.append(rule)
    return seen


# With a kernel (JupyterLab, Voila) each check is the same but samples fewer inputs: the
# page computes alone either way, and the static site gets every sample.
QUICK = dict(good=("0xC020_0000", "3221225472", "0XdeadBEEF"), bad=("0x100000000", "00200000"),
             bits=(21, 31), entries=2)


def exercise_explorer(page, name: str, seed: int = 11, quick: bool = False) -> Explorer:
    """The contract check for one explorer on a page (quick: fewer samples of each kind)."""
    ex = Explorer(page, name)
    ex.check(ex.address(), "as first shown")
    if quick:
        type_good_and_bad(ex, QUICK["good"], QUICK["bad"])
    else:
        type_good_and_bad(ex)
    if name == "address-anatomy" or ex.root.locator("[data-bit]").count():
        # the anatomy is about bits; others may have them too
        if quick:
            click_bits(ex, QUICK["bits"])
        else:
            click_bits(ex)
    click_entries(ex, random.Random(seed), QUICK["entries"] if quick else 6)
    if name == "rule" or ex.rule() is not None:
        rules = cycle_rules(ex)
        if name == "rule":
            assert len(rules) >= 2, f"rule explorer: could not choose rules (saw {rules})"
    return ex
