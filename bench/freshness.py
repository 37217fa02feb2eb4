"""The stock freshness probe: set a product's stock at Inventory, time until the catalog shows it.

Every ~`interval` seconds it sets the probe product's absolute stock to a new figure
(`PUT /api/inventory/{id}` with an admin token), while it polls `GET /api/products/{id}` without
pause; a change's delay runs from Inventory's answer (the change is committed then) to the end of
the first poll that shows that figure or a newer one. The delay is the event's whole path:
Inventory's outbox, the relay, NATS, Products' consumer, the read model. Every poll's
`X-Stock-Lag` header (docs/events.md#freshness) is kept too. After the run, `stages` splits each
delay where the event spent it: in Inventory's outbox (written → sent by the relay), on its way
into the read model (sent → applied by Products' consumer, the product's `stock_updated_at`), and
until the probe's next poll saw it.
"""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import httpx

from bench.background import Background

POLL_PAUSE = 0.005  # seconds between two polls of the product page
GIVE_UP = 5.0  # seconds after which a change counts as not seen (and as that long)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of `values`; 0 when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@dataclass(frozen=True)
class Seen:
    """One change the catalog showed: its figure, and when (epoch seconds) it was applied and seen."""

    figure: int
    applied: float  # the product's stock_updated_at: when Products' consumer stored it
    seen: float


@dataclass
class FreshnessProbe(Background):
    """Writes a new figure every `interval` (one thread) while another polls the product page.

    The two run apart, so a slow change does not hold the next one back: a poll that shows figure
    F makes every change up to F visible (figures and versions only grow, so the catalog holds that
    change or a newer one). A change the catalog showed before Inventory's answer reached the probe
    counts 0 ms.
    """

    inventory_url: str
    products_url: str
    admin_token: str
    product_id: int
    base_stock: int  # figures set are base_stock + 1, + 2, ...: never below what the audit started from
    interval: float = 0.1
    delays_ms: list[float] = field(default_factory=list)
    put_ms: list[float] = field(default_factory=list)
    lags_s: list[float] = field(default_factory=list)
    poll_ms: list[float] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    not_seen: int = 0
    failed_writes: int = 0
    _pending: dict[int, float] = field(default_factory=dict)  # figure → when Inventory answered (monotonic)
    _shown: int = 0  # the highest figure a poll has shown
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _written(self, figure: int, committed: float) -> None:
        with self._lock:
            if figure <= self._shown:
                self.delays_ms.append(0.0)
            else:
                self._pending[figure] = committed

    def _poll(self, catalog: httpx.Client) -> None:
        started = time.monotonic()
        try:
            response = catalog.get(f"/api/products/{self.product_id}")
        except httpx.HTTPError:
            return
        now = time.monotonic()
        self.poll_ms.append((now - started) * 1000)
        lag = response.headers.get("X-Stock-Lag")
        if lag is not None:
            self.lags_s.append(float(lag))
        if response.status_code != 200:
            return
        body = response.json()
        shown = int(body["stock"])
        with self._lock:
            if shown in self._pending:
                applied = datetime.fromisoformat(body["stock_updated_at"]).timestamp()
                self.seen.append(Seen(shown, applied, time.time()))
            self._shown = max(self._shown, shown)
            for figure, committed in list(self._pending.items()):
                if figure <= shown:
                    self.delays_ms.append((now - committed) * 1000)
                    del self._pending[figure]
                elif now - committed > GIVE_UP:
                    self.not_seen += 1
                    self.delays_ms.append(GIVE_UP * 1000)
                    del self._pending[figure]

    def _watch(self, writer_done: threading.Event) -> None:
        """Poll until the writer is done and every change it made was seen or given up on."""
        with httpx.Client(base_url=self.products_url, timeout=10) as catalog:
            while not writer_done.wait(POLL_PAUSE):
                self._poll(catalog)
            deadline = time.monotonic() + GIVE_UP + 1
            while self._pending and time.monotonic() < deadline:
                self._poll(catalog)
                time.sleep(POLL_PAUSE)
            self.not_seen += len(self._pending)  # only if the catalog stopped answering
            self.delays_ms += [GIVE_UP * 1000] * len(self._pending)

    def _run(self) -> None:
        writer_done = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(writer_done,), daemon=True)
        watcher.start()
        admin = {"Authorization": f"Bearer {self.admin_token}"}
        with httpx.Client(base_url=self.inventory_url, headers=admin, timeout=10) as inventory:
            figure = self.base_stock
            while not self._stop.is_set():
                started = time.monotonic()
                figure += 1
                try:
                    written = inventory.put(f"/api/inventory/{self.product_id}", json={"stock": figure})
                except httpx.HTTPError:
                    written = None
                committed = time.monotonic()
                self.put_ms.append((committed - started) * 1000)
                if written is not None and written.status_code == 200:
                    self._written(figure, committed)
                else:
                    self.failed_writes += 1
                self._stop.wait(max(0.0, started + self.interval - time.monotonic()))
        writer_done.set()
        watcher.join()

    def summary(self) -> dict[str, Any]:
        return {
            "changes": len(self.delays_ms),
            "not_seen_within_s": {"count": self.not_seen, "after_s": GIVE_UP},
            "failed_writes": self.failed_writes,
            "delay_ms": {
                "p50": round(percentile(self.delays_ms, 0.5), 1),
                "p99": round(percentile(self.delays_ms, 0.99), 1),
                "max": round(max(self.delays_ms, default=0.0), 1),
            },
            "stock_lag_header_s": {
                "seen": len(self.lags_s),
                "p50": round(percentile(self.lags_s, 0.5), 3),
                "p99": round(percentile(self.lags_s, 0.99), 3),
            },
            "write_ms": _p50_p99(self.put_ms),
            "poll_ms": _p50_p99(self.poll_ms),  # one GET of the product page: the probe's resolution
        }


def _p50_p99(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 0.5), 1), "p99": round(percentile(values, 0.99), 1)}


STAGES_SQL = """
SELECT (payload::jsonb -> 'data' ->> 'stock')::bigint AS stock, created_at, sent_at
FROM inventory.outbox WHERE (payload::jsonb -> 'data' ->> 'product_id')::bigint = $1
"""


async def stages(dsn: str, product_id: int, seen: Sequence[Seen]) -> dict[str, dict[str, float]]:
    """Where each seen change's delay went (ms, p50/p99): outbox → sent, sent → applied, applied → seen."""
    connection = await asyncpg.connect(dsn)
    try:
        events = {row["stock"]: row for row in await connection.fetch(STAGES_SQL, product_id)}
    finally:
        await connection.close()
    relay, consume, show = [], [], []
    for change in seen:
        event = events.get(change.figure)
        if event is None or event["sent_at"] is None:
            continue
        sent = event["sent_at"].timestamp()
        relay.append((sent - event["created_at"].timestamp()) * 1000)
        consume.append((change.applied - sent) * 1000)
        show.append((change.seen - change.applied) * 1000)
    return {
        "outbox_to_sent": _p50_p99(relay),
        "sent_to_applied": _p50_p99(consume),
        "applied_to_seen": _p50_p99(show),
    }
