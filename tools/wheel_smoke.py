"""Check an installed (non-editable) shadowmmu from outside the checkout: `make wheel-check`.

Run by the fresh virtual environment that the wheel was installed into, from a
directory outside the repository, so `import shadowmmu` can only find the
installed copy. It loads every real-guest snapshot from the package data and
runs what notebook 10 runs (the real guest, its statistics, the CR3 switch,
QEMU as the referee, the views), builds an in-page explorer from the packaged
ES modules and style sheet, runs the command line, and checks that the wheel
carries LICENSE and reports the checkout's version. Exits non-zero on the
first failure, with a message saying what failed.
"""

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import shadowmmu
from shadowmmu.frontend.assets import css_source, esm_source
from shadowmmu.frontend.real_guest_explorer import real_guest_explorer
from shadowmmu.frontend.explorers import address_anatomy
from shadowmmu.scenarios.qemu import qemu_oracle
from shadowmmu.scenarios.real import (
    REAL_PAIR,
    page_directory_entries,
    page_table_halves,
    real_cr3_switch,
    real_guest,
    real_guest_stats,
    real_snapshot_names,
)
from shadowmmu.snapshot import FIXTURE_DIR, available_snapshots, load_snapshot
from shadowmmu.views.real_guest import render_oracle_tally, render_real_pd_counts, render_real_switch

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    where = Path(shadowmmu.__file__).resolve()
    if REPO in where.parents:
        sys.exit(f"shadowmmu was imported from the checkout ({where}), not from the wheel")
    files = available_snapshots()
    if len(files) < 3 or not (FIXTURE_DIR / "README.md").is_file():
        sys.exit(f"the wheel holds {len(files)} snapshots in {FIXTURE_DIR} (want 3 and the README)")
    for path in files:
        snap = load_snapshot(path)
        print(f"loaded {path.name}: cr3 0x{snap.cr3:08X}, {len(snap.pages)} pages")
    names = real_snapshot_names()
    rg = real_guest(REAL_PAIR[0])
    html = render_real_pd_counts(page_directory_entries(rg.guest, rg.cr3s[0]))
    halves = page_table_halves(rg.guest, rg.cr3s[0])
    stats = real_guest_stats(REAL_PAIR)
    switch = real_cr3_switch()
    tallies = [qemu_oracle(name) for name in names]
    bad = [t.name for t in tallies if t.check is not None
           or not t.walk_agrees == t.shadow_agrees == t.answers > 0]
    if bad or not halves or stats.total_shadow_pages == 0 or not switch.rows:
        sys.exit(f"notebook 10's scenarios went wrong from the wheel: disagreeing {bad}")
    html += render_real_switch(switch) + render_oracle_tally(tallies)
    print(f"notebook 10 from the wheel: {stats.total_shadow_pages} shadow pages, switch found "
          f"{switch.found} / created {switch.created}, QEMU agrees on {len(tallies)} snapshots, "
          f"{len(html)} bytes of views")
    x = address_anatomy(0xC0200000)
    if "drawExplorer" not in esm_source() or not css_source() or x.address != 0xC0200000:
        sys.exit("the wheel's front end (shadowmmu/frontend/*.js, *.css) is missing or broken")
    print(f"front end from the wheel: {len(esm_source()):,} bytes of ES modules, "
          f"{len(css_source()):,} of CSS")
    real = real_guest_explorer("user-1", 0x08048000, space=[])
    # the shadow MMU's gpa must be the one QEMU answered for this address when it was captured
    rec = real.record
    if "drawRealProbe" not in real._esm or rec["gpa"] is None or rec["gpa"] != rec["qemu"]["gpa"]:
        sys.exit("the wheel's simulator explorers (shadowmmu/states, frontend/real*.js) are missing or broken")
    print(f"simulator explorer from the wheel: {len(real._esm):,} bytes of ES modules; "
          f"0x08048000 -> gpa 0x{rec['gpa']:08X}, as QEMU said")
    cli = subprocess.run([sys.executable, "-m", "shadowmmu", "0xDEADBEEF"], capture_output=True,
                         text=True, check=True)
    print(cli.stdout.strip().splitlines()[-1])
    check_release(REPO)
    return 0


def check_release(repo: Path) -> None:
    """The wheel carries the checkout's LICENSE in its metadata, and the version it reports
    (``__version__``, ``shadowmmu --version``, the metadata) is the checkout's _version.py."""
    licences = [f for f in importlib.metadata.files("shadowmmu") or []
                if f.name == "LICENSE" and ".dist-info" in str(f)]
    want = (repo / "LICENSE").read_text()
    if len(licences) != 1 or licences[0].read_text() != want or not want.startswith("MIT License"):
        sys.exit(f"the wheel's LICENSE is missing or differs from the checkout's: {licences}")
    source = {}
    exec((repo / "shadowmmu" / "_version.py").read_text(), source)
    cli = subprocess.run([sys.executable, "-m", "shadowmmu", "--version"], capture_output=True,
                         text=True, check=True).stdout.strip()
    got = (shadowmmu.__version__, importlib.metadata.version("shadowmmu"), cli)
    if got != (source["__version__"],) * 2 + (f"shadowmmu {source['__version__']}",):
        sys.exit(f"the wheel's versions disagree with shadowmmu/_version.py: {got}")
    print(f"release from the wheel: {cli}, MIT LICENSE in {licences[0]}")


if __name__ == "__main__":
    sys.exit(main())
