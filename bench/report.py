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


CPU_PER_ORDER_TARGET_MS = 13.4  # half of the 26.8 ms (Products + Inventory + PostgreSQL) measured before events
STOCK_VISIBLE_P99_MS = 250


def _beside_floor(scenario: str, service: LoadResult, floor: LoadResult) -> list[Row]:
    """Throughput at least 0.7 times the floor's, p99 at most twice the floor's p99."""
    return [
        Row(scenario, "requests/s", service.rps, floor.rps, "≥ 0.7× floor", service.rps >= 0.7 * floor.rps),
        Row(scenario, "p50 ms", service.p50_ms, floor.p50_ms),
        Row(scenario, "p99 ms", service.p99_ms, floor.p99_ms, "≤ 2× floor", service.p99_ms <= 2 * floor.p99_ms),
    ]


def _audit_rows(scenario: str, audit: dict[str, Any]) -> list[Row]:
    oversold, mismatches = audit["oversold_units"], audit["read_model_mismatch"]
    broken = sum(audit[name] for name in ("negative_stock", "ledger_mismatch", "completed_without_reservation"))
    return [
        Row(scenario, "oversold units", oversold, None, "= 0", oversold == 0),
        Row(scenario, "ledger/stock violations", broken, None, "= 0", broken == 0),
        Row(scenario, "read-model mismatches (stock, version)", mismatches, None, "= 0", mismatches == 0),
    ]


def checkout_cpu_ms(checkout: dict[str, Any]) -> float:
    """CPU per checkout in Products, Inventory and PostgreSQL (the CPU table's columns).

    Per order the run started (every order row it created, completed or still pending at the end),
    not per answer wrk counted: a slow run ends with many checkouts in flight, whose CPU is spent.
    """
    load: LoadResult = checkout["service"]
    per_answer = sum(load.cpu_ms_per_request.get(name, 0.0) for name in ("products", "inventory", "postgres"))
    started = sum(checkout["orders"].values()) or load.requests
    return round(per_answer * load.requests / started, 2) if started else 0.0


def rows(results: dict[str, Any]) -> list[Row]:
    """The table's rows for the scenarios that ran."""
    table: list[Row] = []
    if "catalog" in results:
        table += _beside_floor("catalog page", results["catalog"]["service"], results["catalog"]["floor"])
    if "catalog_mix" in results:
        mix = results["catalog_mix"]
        table += _beside_floor(f"catalog mix ({mix['paths']} paths)", mix["service"], mix["floor"])
    if "inventory_stopped" in results:
        up, down = results["inventory_stopped"]["up"], results["inventory_stopped"]["stopped"]
        scenario = "catalog page, Inventory stopped"
        table += [
            Row(scenario, "requests/s (floor: Inventory up)", down.rps, up.rps, "≥ 0.9× up", down.rps >= 0.9 * up.rps),
            Row(scenario, "p99 ms (floor: Inventory up)", down.p99_ms, up.p99_ms),
        ]
    if "catalog_during_checkouts" in results:
        busy = results["catalog_during_checkouts"]
        scenario = "catalog mix during checkouts"
        delay, lag = busy["freshness"]["delay_ms"], busy["freshness"]["stock_lag_header_s"]
        table += [
            Row(scenario, "catalog requests/s", busy["catalog"].rps),
            Row(scenario, "catalog p99 ms", busy["catalog"].p99_ms),
            Row(scenario, "orders/s", busy["orders_per_s"]),
            Row(scenario, "stock change visible, p50 ms", delay["p50"]),
            Row(
                scenario,
                "stock change visible, p99 ms",
                delay["p99"],
                None,
                f"≤ {STOCK_VISIBLE_P99_MS}",
                delay["p99"] <= STOCK_VISIBLE_P99_MS,
            ),
            Row(scenario, "stock change visible, max ms", delay["max"]),
            *(
                Row(scenario, f"of which {stage.replace('_', ' ')}, p99 ms", value["p99"])
                for stage, value in busy["freshness"]["stages_ms"].items()
            ),
            Row(scenario, "X-Stock-Lag p50 ms", lag["p50"] * 1000),
            Row(scenario, "X-Stock-Lag p99 ms", lag["p99"] * 1000),
            *_audit_rows(scenario, busy["audit"]),
        ]
    if "checkout" in results:
        checkout = results["checkout"]
        orders, pgbench, cpu = checkout["orders_per_s"], checkout["floor"], checkout_cpu_ms(checkout)
        table += [
            Row("checkout", "orders/s", orders, pgbench.rps, "≥ 0.15× pgbench", orders >= 0.15 * pgbench.rps),
            Row("checkout", "p50 ms", checkout["service"].p50_ms, pgbench.p50_ms),
            Row("checkout", "p99 ms", checkout["service"].p99_ms, pgbench.p99_ms),
            Row(
                "checkout",
                "CPU ms per order started (products + inventory + postgres)",
                cpu,
                None,
                f"≤ {CPU_PER_ORDER_TARGET_MS}",
                cpu <= CPU_PER_ORDER_TARGET_MS,
            ),
            *_audit_rows("checkout", checkout["audit"]),
        ]
    if "reservations" in results:
        floor_rps = results["checkout"]["floor"].rps if "checkout" in results else None
        table += [
            Row("reservations (Inventory)", "reservations/s", results["reservations"].rps, floor_rps),
            Row("reservations (Inventory)", "p99 ms", results["reservations"].p99_ms),
        ]
    if "logins" in results:
        logins, scenario = results["logins"], f"logins (bcrypt cost {results['run']['bcrypt_rounds']})"
        table += [Row(scenario, "logins/s", logins.rps), Row(scenario, "p99 ms", logins.p99_ms)]
    if "catalog_under_logins" in results:
        paced = results["catalog_under_logins"]
        idle_p99, busy_p99 = paced["idle"].p99_ms, paced["with_logins"].p99_ms
        table.append(
            Row(
                f"catalog at {paced['offered_rps']:g} req/s + {paced['logins']['target_rate']:g} logins/s",
                "p99 ms (floor: same load, no logins)",
                busy_p99,
                idle_p99,
                "≤ 2× idle",
                busy_p99 <= 2 * idle_p99,
            )
        )
    return table


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
    lines += ["", *notes(results), ""]
    return "\n".join(lines)


def notes(results: dict[str, Any]) -> list[str]:
    """One line per scenario that ran: equality with the floor, outcomes, audits, the probe."""
    lines = []
    if "catalog" in results:
        lines.append(
            "Catalog page identical (ids, names, prices, stock, features, total) between service and floor: "
            f"{results['catalog']['same_page']}."
        )
    if "catalog_mix" in results:
        mix = results["catalog_mix"]
        differ = f" Differing: {', '.join(mix['differ'])}." if mix["differ"] else ""
        lines.append(
            f"Catalog mix: {mix['paths']} paths ({mix['items']} items in all), answered alike by service and "
            f"floor before measuring: {mix['same']}.{differ}"
        )
    if "inventory_stopped" in results:
        same = results["inventory_stopped"]["same_page_while_stopped"]
        lines.append(f"Catalog page with Inventory stopped identical to the floor's: {same}.")
    if "catalog_during_checkouts" in results:
        busy = results["catalog_during_checkouts"]
        lines.append(
            f"Catalog during checkouts: outcomes {json.dumps(busy['orders'])}; stock probe "
            f"{json.dumps(busy['freshness'])}; audit {json.dumps(busy['audit'])}."
        )
    if "checkout" in results:
        checkout = results["checkout"]
        lines.append(f"Checkout outcomes: {json.dumps(checkout['orders'])}; audit: {json.dumps(checkout['audit'])}.")
    if "catalog_under_logins" in results:
        lines.append(f"Background logins: {json.dumps(results['catalog_under_logins']['logins'])}.")
    return [line for entry in lines for line in (entry, "")][:-1]


# Every load run a scenario makes: (results key, run key or None for the scenario itself, name in the tables).
RUNS = (
    ("catalog", "floor", "catalog, floor app"),
    ("catalog", "service", "catalog, products service"),
    ("catalog_mix", "floor", "catalog mix, floor app"),
    ("catalog_mix", "service", "catalog mix, products service"),
    ("inventory_stopped", "up", "catalog, Inventory up"),
    ("inventory_stopped", "stopped", "catalog, Inventory stopped"),
    ("catalog_under_logins", "idle", "catalog paced, idle"),
    ("catalog_under_logins", "with_logins", "catalog paced, with logins"),
    ("logins", None, "logins"),
    ("reservations", None, "reservations"),
    ("checkout", "service", "checkout"),
    ("checkout", "floor", "checkout floor (pgbench)"),
    ("catalog_during_checkouts", "catalog", "catalog mix during checkouts"),
    ("catalog_during_checkouts", "checkout", "checkouts beside the catalog mix"),
)


def loads(results: dict[str, Any]) -> dict[str, LoadResult]:
    """Every load run of the scenarios that ran, by name."""
    return {name: results[key] if run is None else results[key][run] for key, run, name in RUNS if key in results}


def _series(results: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """(name, microshop, floor) for the throughput and the latency panels, the scenarios that ran."""
    throughput: list[tuple[str, float, float | None]] = []
    latency: list[tuple[str, LoadResult, LoadResult | None]] = []
    for key, name in (("catalog", "catalog page"), ("catalog_mix", "catalog mix")):
        if key in results:
            service, floor = results[key]["service"], results[key]["floor"]
            throughput.append((f"{name}\n(floor: bare app)", service.rps, floor.rps))
            latency.append((f"{name}\n(floor: bare app)", service, floor))
    if "inventory_stopped" in results:
        up, down = results["inventory_stopped"]["up"], results["inventory_stopped"]["stopped"]
        throughput.append(("catalog, Inventory\nstopped (floor: up)", down.rps, up.rps))
        latency.append(("catalog, Inventory\nstopped (floor: up)", down, up))
    if "catalog_during_checkouts" in results:
        busy = results["catalog_during_checkouts"]
        throughput.append(("catalog mix\nduring checkouts", busy["catalog"].rps, None))
        latency.append(("catalog mix\nduring checkouts", busy["catalog"], None))
    if "checkout" in results:
        checkout = results["checkout"]
        throughput.append(("checkout, orders/s\n(floor: pgbench)", checkout["orders_per_s"], checkout["floor"].rps))
        latency.append(("checkout\n(floor: pgbench)", checkout["service"], checkout["floor"]))
    for key in ("reservations", "logins"):
        if key in results:
            throughput.append((key, results[key].rps, None))
            latency.append((key, results[key], None))
    if "catalog_under_logins" in results:
        paced = results["catalog_under_logins"]
        latency.append(("catalog paced\n+ logins (floor: idle)", paced["with_logins"], paced["idle"]))
    return throughput, latency


def chart(results: dict[str, Any], path: Path) -> None:
    """Throughput (log scale) and p50/p99 latency per scenario, service beside floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    throughput, latency = _series(results)
    figure, (left, right) = plt.subplots(1, 2, figsize=(16, 5.5))
    xs = range(len(throughput))
    left.bar([x - 0.2 for x in xs], [t[1] for t in throughput], 0.4, label="microshop")
    left.bar([x + 0.2 for x in xs], [t[2] or 0 for t in throughput], 0.4, label="floor")
    left.set_xticks(list(xs), [t[0] for t in throughput], fontsize=7)
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
    right.set_xticks(list(xs), [name for name, _, _ in latency], fontsize=7)
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
