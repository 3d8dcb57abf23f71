"""At 390 px (a phone) every explorer is usable: the page never scrolls sideways, the controls
wrap, and each picture keeps its drawn size (text at 11 px or more), scrolling inside its own
box. The explorers of 02-05 and 09, and 06 and 07 (the simulator explorers share the CSS)."""

from __future__ import annotations

import pytest

from frontend.harness import offline_file_page, page, sim_page
from shadowmmu.frontend.explorers import address_anatomy, exercise, pd_split, pt_split, rule_explorer
from shadowmmu.frontend.fault_explorer import page_fault_explorer
from shadowmmu.frontend.writes_explorer import guest_write_explorer


pytestmark = pytest.mark.browser

MEASURE = """() => {
  const pics = [...document.querySelectorAll('.smmu-picture')].filter((p) => p.querySelector('svg'));
  return {
    page: document.documentElement.scrollWidth, view: window.innerWidth, pictures: pics.length,
    scales: pics.map((p) => { const s = p.querySelector('svg');
      return s.getBoundingClientRect().width / s.viewBox.baseVal.width; }),
    scrolls: pics.map((p) => p.scrollWidth > p.clientWidth),
    controls: [...document.querySelectorAll('.smmu-controls')].map((c) => c.scrollWidth <= c.clientWidth + 1),
  };
}"""


@pytest.mark.parametrize("html", [
    lambda: page([address_anatomy(), pd_split(), pt_split(), rule_explorer(rule="halves"), exercise(count=2)]),
    lambda: sim_page(page_fault_explorer()),
    lambda: sim_page(guest_write_explorer()),
], ids=["address explorers", "06", "07"])
def test_390px_never_scrolls_the_page_and_keeps_text_legible(chromium_context, tmp_path, html):
    path = tmp_path / "page.html"
    # the harness pins its body at 1000 px for the other tests; a phone's page does not
    path.write_text(html().replace("body{width:1000px", "body{max-width:1000px"), encoding="utf-8")
    with offline_file_page(chromium_context, path, width=390, height=800) as pg:
        pg.wait_for_function("document.querySelectorAll('.smmu-picture svg').length > 0")
        m = pg.evaluate(MEASURE)
    assert m["page"] <= m["view"] == 390, m
    assert m["pictures"] and min(m["scales"]) >= 0.99, m  # drawn size: 11 px text stays 11 px
    assert all(m["scrolls"]) and all(m["controls"]), m
