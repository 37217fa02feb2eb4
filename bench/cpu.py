"""CPU accounting from /proc: how busy the machine was, and what each process tree used."""

import os
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _counters() -> tuple[int, int]:
    """(busy, total) jiffies over all cores since boot."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


@dataclass(frozen=True)
class MachineCpu:
    busy: int
    total: int

    @classmethod
    def now(cls) -> "MachineCpu":
        return cls(*_counters())

    def busy_since(self) -> float:
        """Share of all cores busy since this sample (0..1)."""
        busy, total = _counters()
        return (busy - self.busy) / (total - self.total) if total > self.total else 0.0


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of one process and of its children it has reaped, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    # utime + stime, plus cutime + cstime: exited children (PostgreSQL backends) keep counting.
    return int(fields[1]), sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def tree_cpu(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process and all its descendants (living ones)."""
    stats = {int(pid): stat for pid in os.listdir("/proc") if pid.isdigit() and (stat := _stat(pid))}
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    totals = {}
    for name, root in roots.items():
        total, todo = 0.0, [root]
        while todo:
            pid = todo.pop()
            total += stats[pid][1] if pid in stats else 0.0
            todo.extend(children.get(pid, []))
        totals[name] = total
    return totals
