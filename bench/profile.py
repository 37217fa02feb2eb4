"""Where a service spends its CPU under one bench scenario: py-spy over every worker, summarized.

    .venv/bin/python -m bench.profile --scenario catalog --service products [--duration 15]

Starts the bench system, loads the data set, runs the scenario's wrk load while `py-spy record`
samples the service's uvicorn workers (non-blocking, idle stacks left out), then prints the
functions with the most samples on-CPU (self) and on the stack (inclusive). The raw collapsed
stacks stay in bench/results/raw/profile-<time>/ (any flame graph tool reads them).
"""

import argparse
import asyncio
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench import scenarios
from bench.data import catalog_mix, load
from bench.run import RESULTS
from bench.system import BenchSystem, Workers, start_system
from bench.wrk import run_wrk


def _target(system: BenchSystem, service: str) -> int:
    process = getattr(system, service).process
    assert process is not None
    return process.pid


def _load(system: BenchSystem, scenario: str, data_path: Path, plan: scenarios.Plan) -> None:
    url = system.inventory.url if scenario == "reservations" else system.products.url
    script, args = {
        "catalog": ("get.lua", [scenarios.CATALOG_PATH]),
        "mix": ("get_list.lua", [str(data_path)]),
        "checkout": ("checkout.lua", [str(data_path), "1", "profile"]),
        "reservations": ("reserve.lua", [str(data_path), system.tokens.service(), "profile"]),
    }[scenario]
    run_wrk(url=url, script=script, args=args, connections=plan.connections, duration=plan.duration,
            raw_dir=plan.raw_dir, label=f"profile-{scenario}")  # fmt: skip


IDLE_LEAVES = (
    "Condition.wait",
    "Event.wait",
    "Queue.get",
    "select (selectors.py)",
    "_run_once (asyncio/base_events.py)",
)


# Cost centres: a request sample counts toward every centre whose marker is on its stack.
CENTRES = {
    "HTTP call to Inventory": ("InventoryClient.", "AsyncClient.send"),
    "pool pre-ping (BEGIN; ping; ROLLBACK)": ("_async_ping",),
    "transaction BEGIN/COMMIT": ("Transaction.commit", "_start_transaction", "Transaction.rollback"),
    "SQL statements": ("PreparedStatement.", "_prepare_and_execute"),
    "JWT verification": ("TokenVerifier.verify",),
    "thread-pool hop (sync dependency)": ("run_sync", "run_in_threadpool", "to_thread"),
    "logging": ("BoundLogger", "StreamHandler.emit"),
    "Prometheus metrics": ("prometheus_client",),
    "response serialization": ("serialize_response", "dump_json", "jsonable_encoder"),
}


def _package(frame: str) -> str:
    """`func (sqlalchemy/orm/query.py)` → `sqlalchemy`; the standard library's modules by file."""
    path = frame.rpartition("(")[2].rstrip(")")
    return path.split("/")[0].removesuffix(".py") if path else frame


def summarize(raw: Path, top: int = 20) -> str:
    """Where request handling spends CPU: self time by package, hot functions, work sent to threads."""
    own, by_package, inclusive, threaded = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    centres = Counter[str]()
    total = requests = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame for frame in stack.split(";") if not frame.startswith("process ")]
        n = int(count)
        if not frames or any(frames[-1].startswith(idle) for idle in IDLE_LEAVES):
            continue  # a thread waiting, sampled as busy by the non-blocking sampler
        total += n
        pool = [index for index, frame in enumerate(frames) if frame.startswith("WorkerThread.run")]
        if pool:
            threaded[frames[pool[0] + 1] if pool[0] + 1 < len(frames) else "(the pool itself)"] += n
        if not any(frame.startswith("RequestResponseCycle.run_asgi") for frame in frames):
            continue
        requests += n
        joined = ";".join(frames)
        for centre, markers in CENTRES.items():
            if any(marker in joined for marker in markers):
                centres[centre] += n
        own[frames[-1]] += n
        by_package[_package(frames[-1])] += n
        for frame in set(frames):
            inclusive[frame] += n
    share = requests / total if total else 0.0
    lines = [f"{total} busy samples, {share:.0%} of them handling requests (the shares below are of those)"]
    sections = (
        ("cost centre (inclusive; they overlap)", centres),
        ("self time by package", by_package),
        ("self time", own),
        ("inclusive time", inclusive),
    )
    for title, counter in sections:
        lines.append(f"\ntop {top} by {title}:")
        lines += [f"  {n / max(requests, 1):6.1%}  {frame}" for frame, n in counter.most_common(top)]
    if threaded:
        lines.append("\nrun in worker threads (sync code FastAPI sends to the thread pool), share of all busy samples:")
        lines += [f"  {n / total:6.1%}  {frame}" for frame, n in threaded.most_common(10)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["catalog", "mix", "checkout", "reservations"], default="catalog")
    parser.add_argument("--service", choices=["products", "inventory", "auth", "floor"], default="products")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=15)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    raw_dir = RESULTS / "raw" / f"profile-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    plan = scenarios.Plan(args.duration, args.connections, 4, raw_dir)
    workers = Workers(args.workers, args.workers, args.workers)
    with start_system(workers=workers, bcrypt_rounds=12, log_dir=raw_dir / "logs") as system:
        data = asyncio.run(load(system, carts=3000 if args.scenario == "checkout" else 0, accounts=0))
        system.start_floor(catalog_mix(data))
        data_path = raw_dir / "data.txt"
        lines = {
            "checkout": data.checkout_tokens,
            "mix": catalog_mix(data),
            "reservations": [str(i) for i in data.plentiful_ids],
        }.get(args.scenario, [])
        data_path.write_text("\n".join(lines) + "\n")
        run_wrk(url=system.products.url, script="get.lua", args=[scenarios.CATALOG_PATH], connections=8,
                duration=2, raw_dir=raw_dir, label="profile-warmup")  # fmt: skip
        stacks = raw_dir / f"profile-{args.service}-{args.scenario}.txt"
        argv_spy = [spy, "record", "--pid", str(_target(system, args.service)), "--subprocesses", "--nonblocking"]
        argv_spy += ["--nolineno", "--duration", str(round(args.duration)), "--rate", "200"]
        recorder = subprocess.Popen([*argv_spy, "--format", "raw", "--output", str(stacks)])
        _load(system, args.scenario, data_path, plan)
        recorder.wait()
    summary = summarize(stacks)
    (raw_dir / f"profile-{args.service}-{args.scenario}-summary.txt").write_text(summary + "\n")
    print(summary)
    print(f"\nraw stacks: {stacks}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
