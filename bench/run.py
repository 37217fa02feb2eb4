"""`make bench`: start microshop on free ports and a throwaway database, load data, measure beside floors.

    .venv/bin/python -m bench.run [--workers N] [--duration S] [--connections C] ...

Writes bench/results/latest.json, latest.md and latest.png; raw wrk/pgbench output and the service
logs go to bench/results/raw/<time>/ (not committed).
"""

import argparse
import asyncio
import importlib.util
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import scenarios
from bench.data import PRODUCTS, catalog_mix, load
from bench.system import Workers, start_system
from bench.wrk import WrkMissing, require_wrk

RESULTS = Path(__file__).resolve().parent / "results"
# In the order they run; "paced" (the catalog beside logins) takes its pace from "catalog", so runs it too.
SCENARIOS = ("catalog", "mix", "inventory-stopped", "paced", "logins", "reservations", "checkout", "busy")


def _scenarios(text: str) -> tuple[str, ...]:
    asked = {name.strip() for name in text.split(",") if name.strip()}
    unknown = asked - set(SCENARIOS)
    if unknown or not asked:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(SCENARIOS)} (unknown: {', '.join(sorted(unknown))})")
    if "paced" in asked:
        asked.add("catalog")
    return tuple(name for name in SCENARIOS if name in asked)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes per service (default 2)")
    for service in ("auth", "inventory", "products"):
        parser.add_argument(f"--{service}-workers", type=int, help=f"override --workers for {service}")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections / pgbench clients")
    parser.add_argument("--login-connections", type=int, default=4, help="wrk connections for the login run")
    parser.add_argument("--carts", type=int, default=2000, help="carts prepared for the checkout run")
    parser.add_argument(
        "--busy-carts", type=int, default=1000, help="more carts, checked out beside the catalog mix (default 1000)"
    )
    parser.add_argument(
        "--scenarios",
        type=_scenarios,
        default=SCENARIOS,
        help=f"a comma-separated subset to run, e.g. catalog,mix (default: all of {','.join(SCENARIOS)})",
    )
    parser.add_argument("--accounts", type=int, default=4, help="verified accounts for the login runs")
    parser.add_argument("--bcrypt-rounds", type=int, default=12, help="auth's BCRYPT_ROUNDS (default 12)")
    parser.add_argument("--log-level", default="INFO", help="the services' LOG_LEVEL (make run: INFO)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default bench/results)")
    return parser.parse_args(argv)


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def measure(args: argparse.Namespace, raw_dir: Path) -> dict[str, Any]:
    workers = Workers(
        auth=args.auth_workers or args.workers,
        inventory=args.inventory_workers or args.workers,
        products=args.products_workers or args.workers,
    )
    plan = scenarios.Plan(args.duration, args.connections, args.login_connections, raw_dir)
    started = time.monotonic()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    if float(load_before[0]) > (os.cpu_count() or 1):
        scenarios._say(
            f"warning: the machine is busy (load average {load_before[0]} on {os.cpu_count()} CPUs); "
            "every figure will be low and noisy, the ratios less so"
        )
    scenarios._say(f"starting PostgreSQL and the services ({workers}); logs in {raw_dir}")
    with start_system(
        workers=workers, bcrypt_rounds=args.bcrypt_rounds, log_dir=raw_dir / "logs", log_level=args.log_level
    ) as system:
        chosen = args.scenarios
        carts = args.carts if "checkout" in chosen else 0
        busy_carts = args.busy_carts if "busy" in chosen else 0
        accounts = args.accounts if {"paced", "logins"} & set(chosen) else 0
        scenarios._say(f"loading {PRODUCTS} products, {carts} + {busy_carts} carts, {accounts} accounts via the APIs")
        data = asyncio.run(load(system, carts=carts, accounts=accounts, busy_carts=busy_carts))
        system.start_floor(catalog_mix(data))
        results: dict[str, Any] = {}
        if "catalog" in chosen:
            results["catalog"] = scenarios.catalog(system, plan)
        if "mix" in chosen:
            results["catalog_mix"] = scenarios.catalog_mix_run(system, data, plan)
        if "inventory-stopped" in chosen:
            results["inventory_stopped"] = scenarios.catalog_inventory_stopped(system, plan)
        if "paced" in chosen:
            rps = results["catalog"]["service"].rps
            results["catalog_under_logins"] = scenarios.catalog_under_logins(system, data, plan, catalog_rps=rps)
        if "logins" in chosen:
            results["logins"] = scenarios.logins(system, data, plan)
        if "reservations" in chosen:
            results["reservations"] = scenarios.reservations(system, data, plan)
        if "checkout" in chosen:
            results["checkout"] = scenarios.checkout(system, data, plan)
        if "busy" in chosen:
            results["catalog_during_checkouts"] = scenarios.catalog_during_checkouts(system, data, plan)
    results["run"] = {
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "elapsed_s": round(time.monotonic() - started, 1),
        "cpus": os.cpu_count(),
        # Other work on the machine skews every figure; the ratios, taken in the same minutes, less so.
        "load_average_before": [float(value) for value in load_before],
        "load_average_after": [float(value) for value in Path("/proc/loadavg").read_text().split()[:3]],
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0],
        "workers": workers.__dict__,
        "connections": args.connections,
        "login_connections": args.login_connections,
        "duration_s": args.duration,
        "products": PRODUCTS,
        "carts": carts,
        "busy_carts": busy_carts,
        "scenarios": list(chosen),
        "accounts": args.accounts,
        "bcrypt_rounds": args.bcrypt_rounds,
        "log_level": args.log_level,
        "commit": _commit(),
        "command": " ".join(["python -m bench.run", *(sys.argv[1:])]),
    }
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        require_wrk()
    except WrkMissing as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    if importlib.util.find_spec("matplotlib") is None:
        hint = f"{sys.executable} -m pip install matplotlib"
        print(f"bench: matplotlib (for the chart) is missing: {hint}", file=sys.stderr)
        return 2
    raw_dir = args.out / "raw" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = measure(args, raw_dir)
    from bench.report import write

    table = write(results, args.out)
    print((args.out / "latest.md").read_text())
    missed = [f"{row.scenario}: {row.metric}" for row in table if row.met is False]
    print(f"bench: finished in {results['run']['elapsed_s']:g}s; results in {args.out}/latest.{{json,md,png}}")
    print(f"bench: targets missed: {', '.join(missed)}" if missed else "bench: every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
