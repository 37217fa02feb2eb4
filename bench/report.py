"""bench/results/latest.{json,md,png}: every figure beside its floor, ratio, target and verdict."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.wrk import LoadResult


@dataclass(frozen=True)
class Row:
    scenario: str
    metric: str
    value: float
    floor: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        return round(self.value / self.floor, 3) if self.floor else None


def rows(results: dict[str, Any]) -> list[Row]:
    catalog, checkout = results["catalog"], results["checkout"]
    service, floor = catalog["service"], catalog["floor"]
    paced = results["catalog_under_logins"]
    idle_p99, busy_p99 = paced["idle"].p99_ms, paced["with_logins"].p99_ms
    orders, pgbench = checkout["orders_per_s"], checkout["floor"]
    oversold = checkout["audit"]["oversold_units"]
    invariant_broken = sum(
        checkout["audit"][name] for name in ("negative_stock", "ledger_mismatch", "completed_without_reservation")
    )
    logins = results["logins"]
    return [
        Row("catalog page", "requests/s", service.rps, floor.rps, "≥ 0.7× floor", service.rps >= 0.7 * floor.rps),
        Row("catalog page", "p50 ms", service.p50_ms, floor.p50_ms),
        Row("catalog page", "p99 ms", service.p99_ms, floor.p99_ms),
        Row("checkout", "orders/s", orders, pgbench.rps, "≥ 0.15× pgbench", orders >= 0.15 * pgbench.rps),
        Row("checkout", "p50 ms", checkout["service"].p50_ms, pgbench.p50_ms),
        Row("checkout", "p99 ms", checkout["service"].p99_ms, pgbench.p99_ms),
        Row("checkout", "oversold units", oversold, None, "= 0", oversold == 0),
        Row("checkout", "ledger/stock violations", invariant_broken, None, "= 0", invariant_broken == 0),
        Row("reservations (Inventory)", "reservations/s", results["reservations"].rps, pgbench.rps),
        Row("reservations (Inventory)", "p99 ms", results["reservations"].p99_ms),
        Row(f"logins (bcrypt cost {results['run']['bcrypt_rounds']})", "logins/s", logins.rps),
        Row(f"logins (bcrypt cost {results['run']['bcrypt_rounds']})", "p99 ms", logins.p99_ms),
        Row(
            f"catalog at {paced['offered_rps']:g} req/s + {paced['logins']['target_rate']:g} logins/s",
            "p99 ms (floor: same load, no logins)",
            busy_p99,
            idle_p99,
            "≤ 2× idle",
            busy_p99 <= 2 * idle_p99,
        ),
    ]


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def markdown(results: dict[str, Any], table: list[Row]) -> str:
    run = results["run"]
    lines = [
        f"# microshop benchmark — {run['finished_at']}",
        "",
        f"Machine: {run['cpus']} CPU ({run['cpu_model']}), workers per service: auth {run['workers']['auth']}, "
        f"inventory {run['workers']['inventory']}, products {run['workers']['products']} (catalog floor: "
        f"{run['workers']['products']}); {run['connections']} connections, {run['duration_s']:g} s per scenario; "
        f"{run['products']} products, {run['carts']} prepared carts; commit `{run['commit']}`; "
        f"load average before/after: {run['load_average_before'][0]:g} / {run['load_average_after'][0]:g}.",
        "",
        "| scenario | metric | value | floor | ratio | target | met? |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for row in table:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}×"
        cells = [row.scenario, row.metric, _fmt(row.value), _fmt(row.floor), ratio, row.target, met]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Load generator CPU (wrk, or pgbench for its floor) as a share of the whole machine, and how busy the "
        "machine was in all during each run:",
        "",
        "| run | requests | generator CPU | machine busy |",
        "|---|---:|---:|---:|",
    ]
    for name, load in loads(results).items():
        lines.append(f"| {name} | {load.requests:,} | {load.generator_cpu_share:.1%} | {load.machine_busy:.0%} |")
    lines += [
        "",
        "CPU time per request (ms), from /proc, each service's workers and PostgreSQL's backends; this "
        "depends far less on other load on the machine than the rates do:",
        "",
        "| run | products | inventory | auth | floor app | postgres |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, load in loads(results).items():
        cpu = load.cpu_ms_per_request
        cells = [
            f"{cpu[key]:.2f}" if key in cpu else "—" for key in ("products", "inventory", "auth", "floor", "postgres")
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    checkout = results["checkout"]
    lines += [
        "",
        f"Checkout outcomes: {json.dumps(checkout['orders'])}; audit: {json.dumps(checkout['audit'])}. "
        f"Catalog pages identical (ids, names, prices, stock, features) between service and floor: "
        f"{results['catalog']['same_page']}. "
        f"Background logins: {json.dumps(results['catalog_under_logins']['logins'])}.",
        "",
    ]
    return "\n".join(lines)


def loads(results: dict[str, Any]) -> dict[str, LoadResult]:
    paced = results["catalog_under_logins"]
    return {
        "catalog, floor app": results["catalog"]["floor"],
        "catalog, products service": results["catalog"]["service"],
        "catalog paced, idle": paced["idle"],
        "catalog paced, with logins": paced["with_logins"],
        "logins": results["logins"],
        "reservations": results["reservations"],
        "checkout": results["checkout"]["service"],
        "checkout floor (pgbench)": results["checkout"]["floor"],
    }


def chart(results: dict[str, Any], path: Path) -> None:
    """Throughput (log scale) and p50/p99 latency per scenario, service beside floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    catalog, checkout, paced = results["catalog"], results["checkout"], results["catalog_under_logins"]
    throughput = [
        ("catalog\n(floor: Starlette+asyncpg)", catalog["service"].rps, catalog["floor"].rps),
        ("checkout, orders/s\n(floor: pgbench)", checkout["orders_per_s"], checkout["floor"].rps),
        ("reservations", results["reservations"].rps, None),
        ("logins", results["logins"].rps, None),
    ]
    latency = [
        ("catalog\n(floor: bare app)", catalog["service"], catalog["floor"]),
        ("checkout\n(floor: pgbench)", checkout["service"], checkout["floor"]),
        ("reservations", results["reservations"], None),
        ("logins", results["logins"], None),
        ("catalog paced\n+ logins (floor: idle)", paced["with_logins"], paced["idle"]),
    ]
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    xs = range(len(throughput))
    left.bar([x - 0.2 for x in xs], [t[1] for t in throughput], 0.4, label="microshop")
    left.bar([x + 0.2 for x in xs], [t[2] or 0 for t in throughput], 0.4, label="floor")
    left.set_xticks(list(xs), [t[0] for t in throughput], fontsize=8)
    for x, (_, value, floor) in enumerate(throughput):
        left.annotate(f"{value:,.0f}" if value >= 10 else f"{value:.1f}", (x - 0.2, value), ha="center", fontsize=7)
        if floor:
            left.annotate(f"{floor:,.0f}", (x + 0.2, floor), ha="center", fontsize=7)
    left.set_yscale("log")
    left.set_ylabel("per second (log scale)")
    left.set_title("Throughput")
    left.legend()
    xs = range(len(latency))
    for offset, attr, label in ((-0.3, "p50_ms", "p50"), (-0.1, "p99_ms", "p99")):
        left_bars = [getattr(service, attr) for _, service, _ in latency]
        right.bar([x + offset for x in xs], left_bars, 0.2, label=f"microshop {label}")
    for offset, attr, label in ((0.1, "p50_ms", "p50"), (0.3, "p99_ms", "p99")):
        bars = [getattr(floor, attr) if floor else 0 for _, _, floor in latency]
        right.bar([x + offset for x in xs], bars, 0.2, label=f"floor {label}")
    right.set_xticks(list(xs), [name for name, _, _ in latency], fontsize=8)
    right.set_yscale("log")
    right.set_ylabel("ms (log scale)")
    right.set_title("Latency")
    right.legend(fontsize=8)
    figure.suptitle(f"microshop bench, {results['run']['finished_at']}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plain(value: Any) -> Any:
    if isinstance(value, LoadResult):
        return value.as_dict()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def write(results: dict[str, Any], out_dir: Path) -> list[Row]:
    out_dir.mkdir(parents=True, exist_ok=True)
    table = rows(results)
    document = {
        **_plain(results),
        "table": [{**row.__dict__, "ratio": row.ratio} for row in table],
    }
    (out_dir / "latest.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
    (out_dir / "latest.md").write_text(markdown(results, table))
    chart(results, out_dir / "latest.png")
    return table
