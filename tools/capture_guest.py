"""Capture a real 32-bit non-PAE Linux guest's page tables under QEMU (make capture-guest).

Run as root on Debian 12 with apt access; CI never runs this, it reads the
fixtures it writes to shadowmmu/data/:

    kernel-boot.json.xz    CR3 mid-boot, before any user process exists
    user-1.json.xz         a busy loop caught at CPL 3
    user-2.json.xz         the other busy loop, another CR3, same kernel half
    README.md              how they were made: versions, command line, timing

Theory of operation:

1. apt: install qemu-system-x86 if missing; add the i386 architecture if it
   is not there (removed again at the end), `apt-get update` (an i386 index
   of the security suite may fail to fetch; we tolerate that and check the
   packages resolve), then *download* (never install) the kernel that
   linux-image-686:i386 depends on (flavour 686: 2-level paging, no PAE) and
   busybox-static:i386, and take /boot/vmlinuz-* and /bin/busybox out of them.
2. initramfs: a newc cpio written here (busybox, tools/guest_init.sh as
   /init, /dev/console), gzip'd.
3. boot: qemu-system-i386 with TCG, -cpu qemu32, 64 MiB, no NIC, no display,
   serial console on stdio, QMP on a unix socket in the temp dir and no
   other monitor. On the console line "Switched to clocksource" we stop the
   CPU and take the kernel-only snapshot; after the init prints
   CAPTURE-READY we stop it repeatedly until it sits at CPL 3 in an address
   space not yet captured, twice.
4. each snapshot, with the CPU stopped: `info registers` for CR0/CR3/CR4 and
   CPL, `pmemsave` of all of RAM (kept only in the temp dir), the page
   directory and its page tables taken from that dump, `info tlb`,
   `info mem`, and `gva2gpa` for the probe list (see probe_addresses()).
   Our own 2-level walk must agree with every gva2gpa answer, or we stop.

Everything temporary lives in one temp dir, removed at the end; a rerun
replaces the fixtures. The script never copies kernel code; it records page
tables and QEMU's answers about them.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import queue
import random
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# Linux's PAGE_OFFSET with VMSPLIT_3G: guest PDEs 768..1023 are the kernel half
from shadowmmu.sim.guest import KERNEL_BASE as PAGE_OFFSET  # noqa: E402
from shadowmmu.consts import PRESETS  # noqa: E402
from shadowmmu.snapshot import Snapshot, dump_snapshot  # noqa: E402

FIXTURES = REPO / "shadowmmu" / "data"
INIT_SCRIPT = REPO / "tools" / "guest_init.sh"

KERNEL_META = "linux-image-686:i386"  # flavour 686 = non-PAE; not 686-pae
BUSYBOX = "busybox-static:i386"
RAM_MIB = 64
APPEND = "console=ttyS0 nokaslr"
BOOT_TRIGGER = re.compile(r"Switched to clocksource")
READY = "capture: CAPTURE-READY"

PSE_SAMPLE_STRIDE = 16  # probe every 16th 4 KiB page of a 4 MiB page, and its last
UNMAPPED_SAMPLE = 320  # unmapped probes per snapshot
OFFSET_SAMPLE = 64  # extra mapped probes at a random in-page offset

APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
APT_LOCK = ["-o", "DPkg::Lock::Timeout=300"]


def log(msg: str) -> None:
    print(f"[capture {time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def run(cmd: list[str], check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, text=True, capture_output=True, env=APT_ENV, **kw)


# --- 1. apt ---------------------------------------------------------------------------------


def ensure_qemu() -> bool:
    """Install qemu-system-x86 (which holds qemu-system-i386) if missing; True if we did."""
    if shutil.which("qemu-system-i386"):
        return False
    log("installing qemu-system-x86 with apt-get")
    run(["apt-get", *APT_LOCK, "update", "-q"], check=False)
    run(["apt-get", *APT_LOCK, "install", "-y", "-q", "--no-install-recommends", "qemu-system-x86"])
    return True


def foreign_architectures() -> list[str]:
    return run(["dpkg", "--print-foreign-architectures"]).stdout.split()


def resolve_kernel_package() -> str:
    """The ABI-numbered package linux-image-686:i386 depends on, e.g. linux-image-6.1.0-37-686."""
    out = run(["apt-cache", "depends", "--important", KERNEL_META], check=False).stdout
    for m in re.finditer(r"Depends:\s+(linux-image-\d[^\s:]*)", out):
        name = m.group(1)
        if name.endswith("-686") and "pae" not in name:
            return name
    raise RuntimeError(f"cannot resolve the kernel behind {KERNEL_META}; apt-cache said:\n{out}")


def deb_field(deb: Path, name: str) -> str:
    return run(["dpkg-deb", "-f", str(deb), name]).stdout.strip()


def extract(deb: Path, dest: Path, prefixes: tuple[str, ...]) -> None:
    """Extract only the members under prefixes (a kernel .deb also holds all its modules)."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            if member.name.startswith(prefixes) and (member.isfile() or member.isdir()):
                tar.extract(member, dest, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    if proc.wait() != 0:
        raise RuntimeError(f"dpkg-deb --fsys-tarfile {deb} failed")


def fetch_guest(tmp: Path) -> dict:
    """Download (never install) the i386 kernel and busybox; return paths and versions."""
    added = "i386" not in foreign_architectures()
    info: dict = {"i386_added": added}
    try:
        if added:
            log("dpkg --add-architecture i386 (removed again at the end)")
            run(["dpkg", "--add-architecture", "i386"])
        log("apt-get update")
        upd = run(["apt-get", *APT_LOCK, "update", "-q"], check=False)
        if upd.returncode != 0:
            # Seen on bookworm: the security suite's i386 index fails with "File has
            # unexpected size ... Mirror sync in progress?". Both packages come from
            # the main suite; resolve_kernel_package() below fails loudly if not.
            errors = [l for l in upd.stderr.splitlines() if l.startswith("E:")]
            log(f"apt-get update exited {upd.returncode}; tolerated, checking packages resolve")
            for line in errors:
                log(f"  apt said: {line}")
        kernel_pkg = resolve_kernel_package()
        log(f"kernel package: {kernel_pkg}:i386; downloading it and {BUSYBOX}")
        dl = tmp / "debs"
        dl.mkdir()
        os.chmod(tmp, 0o755)
        os.chmod(dl, 0o777)  # apt-get download drops privileges to _apt where it can
        run(["apt-get", "download", "-q", f"{kernel_pkg}:i386", BUSYBOX], cwd=dl)
        kernel_deb = next(dl.glob("linux-image-*.deb"))
        busybox_deb = next(dl.glob("busybox-static_*.deb"))
        info.update(
            kernel_pkg=kernel_pkg,
            kernel_version=deb_field(kernel_deb, "Version"),
            busybox_version=deb_field(busybox_deb, "Version"),
            kernel_deb=kernel_deb.name,
            busybox_deb=busybox_deb.name,
        )
    finally:
        if added:
            run(["dpkg", "--remove-architecture", "i386"], check=False)
            log("dpkg --remove-architecture i386: host apt state restored")
    root = tmp / "pkg"
    extract(kernel_deb, root, ("./boot/vmlinuz-",))
    extract(busybox_deb, root, ("./bin/busybox",))
    info["vmlinuz"] = next((root / "boot").glob("vmlinuz-*"))
    info["busybox"] = root / "bin" / "busybox"
    info["kernel_release"] = info["vmlinuz"].name.removeprefix("vmlinuz-")
    return info


# --- 2. initramfs ---------------------------------------------------------------------------


def newc_cpio(entries: list[tuple[str, int, bytes, tuple[int, int]]]) -> bytes:
    """A newc ("070701") cpio archive of (name, mode, data, (rdev major, minor)) entries.

    Every header is 110 ASCII bytes: the magic and 13 eight-digit hex fields;
    name (with its NUL) and data are each padded to 4 bytes. mtime 0, uid 0.
    """
    out = io.BytesIO()

    def pad4() -> None:
        out.write(b"\0" * (-out.tell() % 4))

    for ino, (name, mode, data, (rmaj, rmin)) in enumerate([*entries, ("TRAILER!!!", 0, b"", (0, 0))], 1):
        encoded = name.encode() + b"\0"
        nlink = 2 if mode & 0o170000 == 0o040000 else 1
        fields = (ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rmaj, rmin, len(encoded), 0)
        out.write(b"070701" + b"".join(b"%08X" % f for f in fields))
        out.write(encoded)
        pad4()
        out.write(data)
        pad4()
    return out.getvalue()


def build_initramfs(busybox: Path, dest: Path) -> None:
    DIR, FILE, LINK, CHR = 0o040755, 0o100755, 0o120777, 0o020600
    entries = [
        ("bin", DIR, b"", (0, 0)),
        ("dev", DIR, b"", (0, 0)),
        ("dev/console", CHR, b"", (5, 1)),
        ("proc", DIR, b"", (0, 0)),
        ("sys", DIR, b"", (0, 0)),
        ("tmp", DIR, b"", (0, 0)),
        ("bin/busybox", FILE, busybox.read_bytes(), (0, 0)),
        ("bin/sh", LINK, b"busybox", (0, 0)),
        ("init", FILE, INIT_SCRIPT.read_bytes(), (0, 0)),
    ]
    dest.write_bytes(gzip.compress(newc_cpio(entries), mtime=0))


# --- 3. QEMU and QMP ------------------------------------------------------------------------


class QMP:
    """Just enough of QMP: one command at a time, events skipped."""

    def __init__(self, path: Path, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.file = self.sock.makefile("rwb")
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def _read(self) -> dict:
        line = self.file.readline()
        if not line:
            raise RuntimeError("QMP connection closed")
        return json.loads(line)

    def execute(self, command: str, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}).encode() + b"\n")
        self.file.flush()
        while True:
            msg = self._read()
            if "event" in msg:
                continue
            if "error" in msg:
                raise RuntimeError(f"QMP {command}: {msg['error']}")
            return msg["return"]

    def hmp(self, line: str) -> str:
        return self.execute("human-monitor-command", **{"command-line": line})

    def close(self) -> None:
        self.file.close()
        self.sock.close()


class Console:
    """The serial console (QEMU's stdout), read line by line on a thread."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.lines.append(line)
            self.queue.put(line)
        self.queue.put(None)

    def wait_for(self, pattern: re.Pattern | str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no console line matching {pattern!r} within {timeout:.0f} s") from None
            if line is None:
                tail = "\n".join(self.lines[-20:])
                raise RuntimeError(f"QEMU exited before {pattern!r}; console tail:\n{tail}")
            if (pattern.search(line) if isinstance(pattern, re.Pattern) else pattern in line):
                return line


def qemu_command(vmlinuz: Path, initrd: Path, qmp_sock: Path) -> list[str]:
    return [
        "qemu-system-i386",
        "-accel", "tcg",
        "-cpu", "qemu32",
        "-m", str(RAM_MIB),
        "-smp", "1",
        "-nodefaults",
        "-nic", "none",
        "-display", "none",
        "-monitor", "none",
        "-serial", "stdio",
        "-qmp", f"unix:{qmp_sock},server=on,wait=off",
        "-no-reboot",
        "-kernel", str(vmlinuz),
        "-initrd", str(initrd),
        "-append", APPEND,
    ]  # fmt: skip


# --- 4. snapshots ---------------------------------------------------------------------------


def u32(buf: bytes, offset: int) -> int:
    return int.from_bytes(buf[offset : offset + 4], "little")


def parse_registers(text: str) -> dict[str, int]:
    regs = {}
    for reg in ("CR0", "CR2", "CR3", "CR4"):
        m = re.search(rf"\b{reg}=([0-9a-fA-F]+)", text)
        if m is None:
            raise RuntimeError(f"no {reg} in info registers:\n{text}")
        regs[reg.lower()] = int(m.group(1), 16)
    m = re.search(r"\bCPL=(\d)", text)
    if m is None:
        raise RuntimeError(f"no CPL in info registers:\n{text}")
    regs["cpl"] = int(m.group(1))
    return regs


def walk(ram: bytes, cr3: int, cr4: int, va: int) -> int | None:
    """The plain 2-level walk (PSE honoured), as the hardware and gva2gpa do it."""
    pde = u32(ram, (cr3 & ~0xFFF) + 4 * (va >> 22))
    if not pde & 1:
        return None
    if pde & 0x80 and cr4 & 0x10:
        return (pde & 0xFFC00000) | ((pde >> 13 & 0xFF) << 32) | (va & 0x3FFFFF)
    pte = u32(ram, (pde & ~0xFFF) + 4 * (va >> 12 & 0x3FF))
    if not pte & 1:
        return None
    return (pte & ~0xFFF) | (va & 0xFFF)


def page_tables(ram: bytes, cr3: int, cr4: int) -> tuple[dict[int, bytes], dict[str, int]]:
    pd_gfn = cr3 >> 12
    pd = ram[pd_gfn << 12 : (pd_gfn + 1) << 12]
    pages = {pd_gfn: pd}
    counts = {"present_pdes": 0, "pse_pdes": 0, "page_tables": 0}
    for i in range(1024):
        pde = u32(pd, 4 * i)
        if not pde & 1:
            continue
        counts["present_pdes"] += 1
        if pde & 0x80 and cr4 & 0x10:
            counts["pse_pdes"] += 1
            continue
        gfn = pde >> 12
        if (gfn + 1) << 12 > len(ram):
            raise RuntimeError(f"PDE {i} = 0x{pde:08x} points outside RAM")
        pages[gfn] = ram[gfn << 12 : (gfn + 1) << 12]
    counts["page_tables"] = len(pages) - 1
    return pages, counts


def probe_addresses(ram: bytes, cr3: int, cr4: int) -> list[int]:
    """Which VAs we ask gva2gpa about, deterministic for a given page directory:

    * every 4 KiB page mapped through a page table (page-aligned VA);
    * of each 4 MiB PSE page, every 16th 4 KiB page and the last one (65 of 1024);
    * 64 of those mapped pages again at a random in-page offset;
    * 320 unmapped addresses at random offsets: half behind non-present PTEs of
      present page tables, half in 4 MiB regions whose PDE is not present;
    * the six preset addresses of the notebooks, mapped or not.
    """
    rng = random.Random(cr3)
    pd = ram[cr3 & ~0xFFF : (cr3 & ~0xFFF) + 4096]
    mapped, holes_pte, holes_pde = [], [], []
    for i in range(1024):
        pde = u32(pd, 4 * i)
        base = i << 22
        if not pde & 1:
            holes_pde.append(base)
        elif pde & 0x80 and cr4 & 0x10:
            mapped += [base + (k << 12) for k in range(0, 1024, PSE_SAMPLE_STRIDE)] + [base + (1023 << 12)]
        else:
            pt = ram[pde & ~0xFFF : (pde & ~0xFFF) + 4096]
            for j in range(1024):
                (mapped if u32(pt, 4 * j) & 1 else holes_pte).append(base + (j << 12))
    off = lambda: rng.randrange(4096)  # noqa: E731
    half = UNMAPPED_SAMPLE // 2
    unmapped = [p + off() for p in rng.sample(holes_pte, min(half, len(holes_pte)))]
    regions = rng.choices(holes_pde, k=UNMAPPED_SAMPLE - len(unmapped))
    unmapped += [p + (rng.randrange(1024) << 12) + off() for p in regions]
    offsets = [p + 1 + rng.randrange(4095) for p in rng.sample(mapped, min(OFFSET_SAMPLE, len(mapped)))]
    return sorted(set(mapped) | set(unmapped) | set(offsets) | set(PRESETS))


def gva2gpa(qmp: QMP, va: int) -> int | None:
    answer = qmp.hmp(f"gva2gpa 0x{va:x}").strip()
    if answer == "Unmapped":
        return None
    m = re.fullmatch(r"gpa: (?:0x)?([0-9a-fA-F]+)", answer)  # "%#x" prints 0 bare
    if m is None:
        raise RuntimeError(f"gva2gpa 0x{va:x}: unexpected answer {answer!r}")
    return int(m.group(1), 16)


def take_snapshot(qmp: QMP, tmp: Path, name: str, regs: dict, meta: dict) -> tuple[Snapshot, dict]:
    dump = tmp / "ram.bin"
    qmp.execute("pmemsave", val=0, size=RAM_MIB << 20, filename=str(dump))
    ram = dump.read_bytes()
    dump.unlink()
    cr3, cr4 = regs["cr3"], regs["cr4"]
    pages, counts = page_tables(ram, cr3, cr4)
    info_tlb = qmp.hmp("info tlb")
    info_mem = qmp.hmp("info mem")
    answers = []
    for va in probe_addresses(ram, cr3, cr4):
        gpa = gva2gpa(qmp, va)
        ours = walk(ram, cr3, cr4, va)
        if gpa != ours:
            raise RuntimeError(f"{name}: gva2gpa 0x{va:08x} = {gpa} but our walk gives {ours}")
        answers.append((va, gpa))
    counts["probes_mapped"] = sum(g is not None for _, g in answers)
    counts["probes_unmapped"] = sum(g is None for _, g in answers)
    counts["user_pdes"] = sum(u32(pages[cr3 >> 12], 4 * i) & 1 for i in range(PAGE_OFFSET >> 22))
    snap = Snapshot(
        name=name,
        cr0=regs["cr0"],
        cr3=cr3,
        cr4=cr4,
        cpl=regs["cpl"],
        pages=pages,
        gva2gpa=tuple(answers),
        info_tlb=info_tlb,
        info_mem=info_mem,
        meta={k: str(v) for k, v in meta.items()},
    )
    log(f"{name}: CR3=0x{cr3:08x} CPL={regs['cpl']} {counts}")
    return snap, counts


def boot_and_capture(guest: dict, tmp: Path) -> tuple[list[tuple[Snapshot, dict]], dict]:
    initrd = tmp / "initrd.cpio.gz"
    build_initramfs(guest["busybox"], initrd)
    sock = tmp / "qmp.sock"
    cmd = qemu_command(guest["vmlinuz"], initrd, sock)
    log("booting: " + shlex.join(cmd))
    t_boot = time.monotonic()
    stderr = open(tmp / "qemu.stderr", "wb")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
    console = Console(proc.stdout)
    results = []
    facts: dict = {"qemu_cmd": cmd}
    try:
        qmp = QMP(sock)
        common = {
            "kernel": f"{guest['kernel_pkg']}:i386 {guest['kernel_version']}",
            "busybox": f"{BUSYBOX} {guest['busybox_version']}",
            "qemu": facts.setdefault("qemu_version", qemu_version()),
            "captured": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        }

        # Kernel-only: stop as soon as the console says the clocksource switched,
        # long before the kernel execs /init (no user address space exists yet).
        trigger = console.wait_for(BOOT_TRIGGER, timeout=120)
        qmp.execute("stop")
        regs = parse_registers(qmp.hmp("info registers"))
        facts["boot_trigger"] = trigger
        banner = next((l for l in console.lines if "Linux version" in l), "")
        facts["linux_banner"] = re.sub(r" \(\S+@\S+\)", "", banner)  # without the builder's address
        facts["boot_seconds_to_trigger"] = time.monotonic() - t_boot
        meta = dict(common, moment=f"mid-boot, stopped on console line: {trigger.strip()}")
        snap, counts = take_snapshot(qmp, tmp, "kernel-boot", regs, meta)
        if regs["cpl"] != 0 or counts["user_pdes"]:
            raise RuntimeError(
                f"kernel-boot is not kernel-only: CPL={regs['cpl']}, {counts['user_pdes']} user PDEs"
            )
        results.append((snap, counts))
        qmp.execute("cont")

        console.wait_for(READY, timeout=120)
        facts["boot_seconds_to_ready"] = time.monotonic() - t_boot
        facts["busy_loops"] = next((l for l in console.lines if "capture: busy loops" in l), "")
        time.sleep(1.0)
        rng = random.Random(0)
        seen, tries = {regs["cr3"]}, 0
        while len(results) < 3:
            tries += 1
            if tries > 200:
                raise RuntimeError("could not catch two distinct user address spaces at CPL 3 in 200 stops")
            qmp.execute("stop")
            regs = parse_registers(qmp.hmp("info registers"))
            if regs["cpl"] == 3 and regs["cr3"] not in seen:
                seen.add(regs["cr3"])
                name = f"user-{len(results)}"
                meta = dict(common, moment=f"a busy loop at CPL 3 after CAPTURE-READY (stop number {tries})")
                results.append(take_snapshot(qmp, tmp, name, regs, meta))
            qmp.execute("cont")
            time.sleep(rng.uniform(0.03, 0.3))
        facts["user_stop_tries"] = tries
        qmp.execute("quit")
        qmp.close()
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        stderr.close()
        if proc.returncode:
            log(f"qemu exited {proc.returncode}: {(tmp / 'qemu.stderr').read_text().strip()}")
    facts["console"] = console.lines
    return results, facts


def qemu_version() -> str:
    first = run(["qemu-system-i386", "--version"]).stdout.splitlines()[0]
    pkg = run(["dpkg-query", "-W", "-f", "${Version}", "qemu-system-x86"], check=False).stdout.strip()
    return f"{first}; package qemu-system-x86 {pkg}" if pkg else first


# --- 5. fixtures ----------------------------------------------------------------------------


def write_readme(guest: dict, facts: dict, results: list, wall: float) -> None:
    cmd = [
        "vmlinuz-" + guest["kernel_release"] if a == str(guest["vmlinuz"])
        else "initrd.cpio.gz" if a.endswith("initrd.cpio.gz")
        else re.sub(r"unix:[^,]*qmp\.sock", "unix:$TMP/qmp.sock", a)
        for a in facts["qemu_cmd"]
    ]  # fmt: skip
    debian = Path("/etc/debian_version").read_text().strip()
    rows = []
    for snap, c in results:
        rows.append(
            f"| `{snap.name}.json.xz` | 0x{snap.cr0:08x} | 0x{snap.cr3:08x} | 0x{snap.cr4:08x} | {snap.cpl} "
            f"| {c['present_pdes']} | {c['pse_pdes']} | {c['page_tables']} | {c['probes_mapped']} | {c['probes_unmapped']} |"
        )
    def kernel_half(snap: Snapshot) -> list[int]:
        pd = snap.page_directory
        return [u32(pd, 4 * i) for i in range(PAGE_OFFSET >> 22, 1024)]

    boot, users = results[0][0], [snap for snap, _ in results[1:]]
    same = all(kernel_half(u) == kernel_half(users[0]) for u in users)
    shared = "identical, entry for entry" if same else "not identical (a kernel PDE changed in between)"
    diff = [768 + i for i, (a, b) in enumerate(zip(kernel_half(boot), kernel_half(users[0]))) if a != b]
    old, new = kernel_half(boot), kernel_half(users[0])
    changes = [f"{i} (0x{old[i - 768]:08x} → 0x{new[i - 768]:08x})" for i in diff]
    boot_diff = "PDEs " + ", ".join(changes) if diff else "no PDE"
    installed = " plus installing QEMU" if facts.get("qemu_installed") else " (QEMU already installed)"
    init = INIT_SCRIPT.read_text()
    text = f"""# A real 32-bit non-PAE Linux guest, captured

Page tables of a real Linux guest running 2-level (non-PAE) paging, with QEMU's own
answers about them. `shadowmmu.snapshot.load_snapshot()` reads these files;
`tests/model/test_snapshot.py` walks the page tables independently and checks every
`gva2gpa` answer. CI reads the files and never boots QEMU. Written by
`tools/capture_guest.py` (`make capture-guest`, root, Debian 12 with apt access);
rerunning it replaces everything here, this README included.

## The snapshots

| file | CR0 | CR3 | CR4 | CPL | present PDEs | 4 MiB (PSE) PDEs | page tables | gva2gpa mapped | gva2gpa unmapped |
|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

In CR0, PG (bit 31) is set; in CR4, PAE (bit 5) is clear and PSE (bit 4) set.

- `kernel-boot`: the CPU stopped mid-boot, on the console line
  `{facts['boot_trigger'].strip()}`, long before the kernel runs `/init`: no PDE below
  0xC0000000 is present. No process has an mm yet, so this should be init_mm's
  directory, `swapper_pg_dir`; we could not check the name (the package's System.map
  does not list the symbol, nor does /proc/kallsyms).
- `user-1`, `user-2`: after `/init` printed CAPTURE-READY we stopped the CPU at random
  moments until it was at CPL 3 in an address space not captured before, twice
  ({facts['user_stop_tries']} stops in all). Both are one of the two busy loops of `/init`
  (the only runnable user processes); which PID each is, the page tables do not say.
  Their kernel halves (PDEs 768–1023) are {shared}. Against `kernel-boot`,
  the kernel half differs in {boot_diff}: boot went on in between (a W bit
  cleared on a 4 MiB page is kernel text or rodata made read-only; a new entry is a
  new kernel page table). A user CR3 differs from run to run; the boot
  CR3 does not (`nokaslr`).

Each file is xz-compressed JSON, format `shadowmmu-snapshot/1`: `name`, `cr0`, `cr3`, `cr4`,
`cpl` (integers), `pages` (guest frame number in hex → base64 of its 4096 bytes: the
page directory and every page table a present non-PSE PDE points to, nothing else),
`gva2gpa` (`[va, gpa]` pairs, `null` where QEMU said `Unmapped`), `info_tlb`, `info_mem`
(QEMU's text, verbatim), `meta` (provenance strings).

What was probed with `gva2gpa` (page-aligned unless said):
- every 4 KiB page mapped through a page table;
- of each 4 MiB PSE page, a sample: every {PSE_SAMPLE_STRIDE}th 4 KiB page and the last one
  ({1024 // PSE_SAMPLE_STRIDE + 1} of 1024; `info tlb` lists the whole 4 MiB page);
- {OFFSET_SAMPLE} mapped pages again at a random in-page offset;
- {UNMAPPED_SAMPLE} unmapped addresses at random offsets, half behind non-present PTEs of
  present page tables, half in 4 MiB regions whose PDE is not present;
- 0x00000000, 0x00200000, 0xC0000000, 0xC0200000, 0xDEADBEEF, 0xFFFFFFFF.
The sample is seeded with CR3. The capture script also walked each address itself and
stopped on any disagreement with QEMU.

Quirks of QEMU's `info tlb` to remember: for a 4 KiB page it prints the PTE's own U/W
(`info mem` combines them with the PDE's), hides PTE bit 7, and prints a 4 MiB frame
masked to 2 MiB alignment.

## How they were made

- Date: {facts['date']} (UTC, the host's clock). Wall time of the whole capture (apt,
  downloads, initramfs, boot, three snapshots): {wall:.1f} s{installed}; boot to the trigger line
  {facts['boot_seconds_to_trigger']:.1f} s, to CAPTURE-READY {facts['boot_seconds_to_ready']:.1f} s, under TCG.
- Host: Debian {debian}, x86_64, no KVM used.
- Emulator: {facts['qemu_version']}.
- Guest kernel: `{guest['kernel_pkg']}:i386` version `{guest['kernel_version']}`
  (what `linux-image-686:i386` depended on; flavour 686 is 2-level paging without PAE).
  Banner: `{facts['linux_banner'].strip()}`
- Guest userland: `busybox-static:i386` version `{guest['busybox_version']}`.
- Both downloaded with `apt-get download` after `dpkg --add-architecture i386` and
  `apt-get update`, never installed; the i386 architecture was
  {"removed again afterwards" if guest['i386_added'] else "already configured and left as it was"}.
  Only `/boot/vmlinuz-*` and `/bin/busybox` were extracted.
- initramfs: a newc cpio written by the script, gzip'd: `/bin/busybox`, `/bin/sh` →
  busybox, `/dev/console` (char 5:1), empty `/proc`, `/sys`, `/tmp`, and `/init`, which is
  `tools/guest_init.sh`:

```sh
{init.rstrip()}
```

- Command line (temp paths shortened):

```
{shlex.join(cmd)}
```

  QMP is the only monitor, on a unix socket in a temp dir; the serial console is stdio.
  Each snapshot was taken with the VM stopped (`stop`): `info registers` (CR0, CR3,
  CR4, CPL), `pmemsave` of all {RAM_MIB} MiB to a temp file (page directory and page
  tables cut from it), `info tlb`, `info mem`, then the `gva2gpa` probes, all through
  `human-monitor-command`.
"""
    (FIXTURES / "README.md").write_text(text)


def main() -> int:
    if os.geteuid() != 0:
        print("capture_guest.py needs root (apt-get, dpkg --add-architecture)", file=sys.stderr)
        return 2
    qemu_installed = ensure_qemu()
    with tempfile.TemporaryDirectory(prefix="capture-guest-") as name:
        tmp = Path(name)
        guest = fetch_guest(tmp)
        results, facts = boot_and_capture(guest, tmp)
    facts["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    facts["qemu_installed"] = qemu_installed
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for old in [*FIXTURES.glob("*.json.gz"), *FIXTURES.glob("*.json.xz")]:
        old.unlink()
    for snap, _ in results:
        path = dump_snapshot(snap, FIXTURES / f"{snap.name}.json.xz")
        log(f"wrote {path.relative_to(REPO)} ({path.stat().st_size // 1024} KiB)")
    wall = time.monotonic() - T0
    write_readme(guest, facts, results, wall)
    log(f"wrote {(FIXTURES / 'README.md').relative_to(REPO)}")
    print(f"capture took {wall:.1f} s", flush=True)
    return 0


T0 = time.monotonic()

if __name__ == "__main__":
    sys.exit(main())
