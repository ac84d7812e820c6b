"""Memory of a server and all its processes: RSS, PSS and USS, sampled while it works (issue 11).

Usage: .venv/bin/python bench/memory.py bench/data/100k.nq [--duration 4] [--clients 8] [--serve-args "--cache-bytes 0"]

Starts ``bench/serve_bordergraph.py FILE`` (the build beside the file is made on a first start and
reused), samples every process of it (the main process, the fork server, the query workers, the
resource tracker) while it is idle after start, while the whole mix of ``compare.py`` runs, and
after it, and prints one row per process and role: RSS, PSS, USS and the peak RSS (VmHWM).

Why three figures. RSS counts every page a process maps, so summing it over forked processes
counts each shared page (the interpreter and libraries, what the fork server imported before
forking, copy-on-write pages not yet written) once per process: it overstates what the processes
take together. PSS divides each shared page among the processes that map it, so the PSS sum counts
it once; USS is what a process alone holds (its private pages), what killing it would free.
Read by hand from ``/proc/PID/smaps_rollup`` (psutil's ``memory_full_info`` reads the same file;
psutil is not a dependency of the project).

``compare.py`` uses :class:`Sampler` for its side-by-side peaks.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

KB = 1024
_FIELDS = re.compile(r"^(Rss|Pss|Private_Clean|Private_Dirty|Swap):\s+(\d+) kB", re.MULTILINE)


@dataclass
class Usage:
    """One process's memory now, in KiB (and its peak RSS so far, VmHWM)."""

    rss: int = 0
    pss: int = 0
    uss: int = 0
    hwm: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.rss + other.rss, self.pss + other.pss, self.uss + other.uss, self.hwm + other.hwm)

    def peak(self, other: Usage) -> Usage:
        """Each figure's maximum of the two."""
        return Usage(
            max(self.rss, other.rss), max(self.pss, other.pss), max(self.uss, other.uss), max(self.hwm, other.hwm)
        )


def tree(root: int) -> set[int]:
    """The process and all its descendants (from /proc/PID/task/TID/children: no scan of /proc)."""
    found, frontier = set(), [root]
    while frontier:
        pid = frontier.pop()
        found.add(pid)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError, ValueError):
                    frontier += [int(c) for c in (task / "children").read_text().split() if int(c) not in found]
    return found


def usage(pid: int) -> Usage | None:
    """RSS, PSS, USS (private clean + dirty) and VmHWM of one process; None if it is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = {name: int(value) for name, value in _FIELDS.findall(rollup)}
    hwm = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return Usage(
        rss=fields.get("Rss", 0),
        pss=fields.get("Pss", 0),
        uss=fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0),
        hwm=int(hwm.group(1)) if hwm else 0,
    )


def role(pid: int, root: int) -> str:
    """What the process is in a bordergraph server: main, fork server, worker, resource tracker, other."""
    if pid == root:
        return "main"
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return "gone"
    if b"resource_tracker" in cmdline:
        return "resource tracker"
    if b"forkserver" in cmdline:
        # Workers are forked from the fork server, so they carry its command line; it is their parent.
        with contextlib.suppress(OSError):
            if b"forkserver" in Path(f"/proc/{ppid}/cmdline").read_bytes():
                return "worker"
        return "fork server"
    return "other"


def total(usages: Iterable[Usage]) -> Usage:
    """The sum of several processes' figures."""
    result = Usage()
    for one in usages:
        result = result + one
    return result


@dataclass
class Sampler:
    """Samples a process tree in a background thread; keeps the peak of each sum and each process's peak.

    The peak sums are of simultaneous samples (the tree's worst moment), unlike a sum of VmHWM,
    which adds each process's own worst moment.
    """

    root: int
    interval: float = 0.25
    peak: Usage = field(default_factory=Usage)
    per_process: dict[int, tuple[str, Usage]] = field(default_factory=dict)
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> Usage:
        """One sample of the whole tree now (also folded into the peaks); the sum."""
        now: dict[int, Usage] = {}
        for pid in tree(self.root):
            one = usage(pid)
            if one is not None:
                now[pid] = one
        summed = total(now.values())
        self.peak = self.peak.peak(summed)
        for pid, one in now.items():
            name, before = self.per_process.get(pid, ("", Usage()))
            self.per_process[pid] = (name or role(pid, self.root), before.peak(one))
        self.samples += 1
        return summed

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> Sampler:
        """Take a first sample and go on sampling in the background."""
        self.sample()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling, after a last sample (once: later calls do nothing)."""
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def __enter__(self) -> Sampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def mb(kib: float) -> str:
    """KiB as MB with one decimal (the README's unit)."""
    return f"{kib / KB:,.1f}"


ORDER = ["main", "fork server", "worker", "resource tracker"]


def report(title: str, now: dict[int, Usage], root: int, names: dict[int, str] | None = None) -> list[str]:
    """One row per process (role, pid, RSS, PSS, USS, VmHWM in MB) and their sums."""
    named = {pid: (names or {}).get(pid) or role(pid, root) for pid in now}
    lines = [title, f"  {'process':18}{'pid':>8}{'RSS':>10}{'PSS':>10}{'USS':>10}{'VmHWM':>10}"]
    for pid in sorted(now, key=lambda pid: (ORDER.index(named[pid]) if named[pid] in ORDER else len(ORDER), pid)):
        u = now[pid]
        lines.append(f"  {named[pid]:18}{pid:>8}{mb(u.rss):>10}{mb(u.pss):>10}{mb(u.uss):>10}{mb(u.hwm):>10}")
    s = total(now.values())
    lines.append(f"  {'sum':18}{len(now):>8}{mb(s.rss):>10}{mb(s.pss):>10}{mb(s.uss):>10}{mb(s.hwm):>10}")
    return lines


def snapshot(root: int) -> dict[int, Usage]:
    """Every process of the tree now."""
    return {pid: u for pid in tree(root) if (u := usage(pid)) is not None}


def main() -> None:
    """Start bordergraph on a file, sample it idle, under the whole mix and after; print the tables."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from compare import BORDERGRAPH_ARGS, Mixes, entities, load, start
    from run import DATA

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("nquads", type=Path)
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of the whole mix")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--start-timeout", type=float, default=900.0)
    parser.add_argument("--serve-args", default="", help="extra arguments for serve_bordergraph.py")
    args = parser.parse_args()
    BORDERGRAPH_ARGS.extend(args.serve_args.split())
    DATA.mkdir(exist_ok=True)
    import json

    meta = json.loads(args.nquads.with_suffix(".nq.json").read_text())
    mixes = Mixes(entities(args.nquads), meta["copies"])
    size = args.nquads.stem
    server = start("bordergraph", args.nquads, size, args.start_timeout)
    try:
        root = server.process.pid
        time.sleep(1.0)  # the workers are ready when the first query answers; let start-up settle
        print(f"bordergraph on {args.nquads} ({meta['named_graph_triples']:,} triples in named graphs), "
              f"ready after {server.ready_after:.1f} s")  # fmt: skip
        print("\n".join(report("idle after start (MB)", snapshot(root), root)))
        with Sampler(root) as sampler:
            run = load(server.url, mixes.whole, args.clients, args.duration)
        mix = f"whole mix, {args.clients} clients, {args.duration:g} s"
        print(f"\n{mix}: {run.rate:,.1f} req/s; {sampler.samples} samples")
        peaks = {pid: u for pid, (_, u) in sampler.per_process.items()}
        names = {pid: name for pid, (name, _) in sampler.per_process.items()}
        print("\n".join(report("each process's peak during the mix (MB)", peaks, root, names)))
        p = sampler.peak
        print(f"  peak of the sums        RSS {mb(p.rss)}  PSS {mb(p.pss)}  USS {mb(p.uss)}  (simultaneous samples)")
        print("\n".join(report("\nafter the mix (MB)", snapshot(root), root)))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
