"""How busy the whole machine was between two moments, from /proc/stat."""

from dataclasses import dataclass
from pathlib import Path


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
