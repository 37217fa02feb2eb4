"""A steady background of logins (open loop: one every 1/rate seconds, whatever the answers take)."""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from bench.background import Background
from bench.freshness import percentile


@dataclass
class SteadyLogins(Background):
    """Logs the accounts in, in turn, at `rate` per second until stopped."""

    auth_url: str
    accounts: list[tuple[str, str]]
    rate: float = 2.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    _started: float = 0.0
    _elapsed: float = 0.0

    def __enter__(self) -> "SteadyLogins":
        self._started = time.monotonic()
        return super().__enter__()

    def _login(self, client: httpx.Client, n: int) -> None:
        email, password = self.accounts[n % len(self.accounts)]
        started = time.perf_counter()
        try:
            status = client.post("/login", json={"email": email, "password": password}).status_code
        except httpx.HTTPError:
            status = 0
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def _run(self) -> None:
        with (
            httpx.Client(base_url=self.auth_url, timeout=30) as client,
            ThreadPoolExecutor(max_workers=16) as pool,
        ):
            n = 0
            while not self._stop.wait(max(0.0, self._started + n / self.rate - time.monotonic())):
                pool.submit(self._login, client, n)
                n += 1
            self._elapsed = time.monotonic() - self._started

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> dict[str, object]:
        p99 = percentile(self.latencies_ms, 0.99)
        return {
            "target_rate": self.rate,
            "logins": self.sent,
            "achieved_rate": round(self.sent / self._elapsed, 2) if self._elapsed else 0.0,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "p99_ms": round(p99, 1),
        }
