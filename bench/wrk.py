"""Run wrk with a scenario's Lua script and read back its numbers and its own CPU cost.

Every script gets bench/lua/common.lua in front of it, whose `done()` prints one `BENCH_JSON {...}`
line (requests, duration, latency percentiles, errors, status counts). The generator's CPU time
comes from the kernel's accounting of the wrk process (`wait4` rusage, the same utime + stime that
/proc/<pid>/stat shows), so its share of the machine can be reported beside every figure.
"""

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.cpu import MachineCpu, tree_cpu

LUA_DIR = Path(__file__).resolve().parent / "lua"
INSTALL_HINT = "wrk (the load generator) is not installed. On Debian/Ubuntu: sudo apt-get install -y wrk"


class WrkMissing(RuntimeError):
    pass


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing(INSTALL_HINT)
    return path


@dataclass
class LoadResult:
    """What one load run measured (latencies in ms)."""

    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    statuses: dict[str, int] = field(default_factory=dict)
    generator_cpu_s: float = 0.0
    generator_cpu_share: float = 0.0  # of the whole machine (all cores)
    machine_busy: float = 0.0  # share of all cores busy during the run, generator included
    # CPU milliseconds each watched process tree (service workers, PostgreSQL) spent per request.
    cpu_ms_per_request: dict[str, float] = field(default_factory=dict)
    command: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _script(name: str, raw_dir: Path) -> Path:
    """common.lua + the scenario's script, as one file for wrk."""
    path = raw_dir / f"wrk-{name}"
    path.write_text((LUA_DIR / "common.lua").read_text() + "\n" + (LUA_DIR / name).read_text())
    return path


def run_wrk(
    *,
    url: str,
    script: str,
    args: list[str],
    connections: int,
    duration: float,
    raw_dir: Path,
    label: str,
    threads: int = 1,
    timeout: float = 10,
    watch: dict[str, int] | None = None,
) -> LoadResult:
    """One wrk run; `label` names the raw output file kept under bench/results/raw/."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={timeout:g}s",
        "-s",
        str(_script(script, raw_dir)),
        url,
        "--",
        *args,
    ]
    machine, trees = MachineCpu.now(), tree_cpu(watch or {})
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    busy, used = machine.busy_since(), per_request(trees, watch or {}, 0)
    (raw_dir / f"{label}.txt").write_text(output)
    line = next((line for line in output.splitlines() if line.startswith("BENCH_JSON ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({label}, exit {process.returncode}):\n{output[-2000:]}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = data["duration_us"] / 1e6
    latency = data["latency_us"]
    cpu = usage.ru_utime + usage.ru_stime
    shown = [part if " " not in part and len(part) < 200 else "'…'" for part in argv]
    return LoadResult(
        requests=data["requests"],
        duration_s=round(seconds, 3),
        rps=round(data["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        errors=data["errors"],
        statuses=data["statuses"],
        generator_cpu_s=round(cpu, 3),
        generator_cpu_share=round(cpu / (seconds * (os.cpu_count() or 1)), 4) if seconds else 0.0,
        machine_busy=round(busy, 4),
        cpu_ms_per_request={name: round(ms / data["requests"], 3) for name, ms in used.items()}
        if data["requests"]
        else {},
        command=" ".join(shown),
    )


def per_request(before: dict[str, float], watch: dict[str, int], requests: int) -> dict[str, float]:
    """CPU milliseconds used by each watched tree since `before` (divided by `requests` when given)."""
    after = tree_cpu(watch)
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / (requests or 1) for name in watch}
