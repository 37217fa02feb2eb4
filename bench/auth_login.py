"""Login throughput of the auth service: logins/s at a bcrypt cost (default: 4 as in tests, and 12 as in production).

Starts an embedded PostgreSQL and the auth service as a real process (`microshop serve auth`), makes one
verified account, then keeps `--concurrency` logins in flight for `--seconds` per cost over real HTTP.

    .venv/bin/python -m bench.auth_login [--costs 4,12] [--seconds 5] [--concurrency 8] [--workers 1]
"""

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
from tests.support.processes import ServiceProcess

from microshop.auth.admin import create_admin
from microshop.auth.config import AuthSettings
from microshop.common.db import async_url
from microshop.common.migrations import upgrade
from microshop.devtools.embedded_db import EmbeddedPostgres, free_port

EMAIL, PASSWORD = "bench-login@example.com", "bench-password-123"
RESULTS = Path(__file__).resolve().parent / "results" / "auth_login.json"


async def _login_loop(url: str, *, seconds: float, concurrency: int) -> dict[str, object]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.post("/login", json={"email": EMAIL, "password": PASSWORD})
            latencies.append(time.perf_counter() - started)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await client.post("/login", json={"email": EMAIL, "password": PASSWORD})  # warm up
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "logins": len(latencies),
        "seconds": round(elapsed, 2),
        "logins_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 1),
        "statuses": {str(code): n for code, n in sorted(statuses.items())},
    }


def bench_cost(database_url: str, *, cost: int, seconds: float, concurrency: int, workers: int, logs: Path) -> dict:
    settings = AuthSettings(_env_file=None, environment="test", database_url=database_url, bcrypt_rounds=cost)
    asyncio.run(create_admin(settings, email=EMAIL, password=PASSWORD))  # (re)hashes at this cost
    env = {
        "AUTH_DATABASE_URL": database_url,
        "BCRYPT_ROUNDS": str(cost),
        "LOG_LEVEL": "WARNING",
        "LOGIN_RATE_LIMIT_PER_ACCOUNT": "100000000",
        "LOGIN_RATE_LIMIT_PER_ADDRESS": "100000000",
        "JWT_PRIVATE_KEY_FILE": str(logs / "jwt" / "private.pem"),
    }
    with ServiceProcess.service("auth", env=env, log_dir=logs, workers=workers) as auth:
        result = asyncio.run(_login_loop(auth.url, seconds=seconds, concurrency=concurrency))
    return {"bcrypt_cost": cost, "workers": workers, "concurrency": concurrency, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--costs", default="4,12", help="bcrypt costs to measure, comma-separated")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of the auth service")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="microshop-auth-bench-"))
    postgres = EmbeddedPostgres(data_dir=workdir / "pg", port=free_port(), host_auth="trust")
    postgres.start()
    try:

        async def create_database() -> None:
            connection = await asyncpg.connect(postgres.url())
            await connection.execute('CREATE DATABASE "auth_bench"')
            await connection.close()

        asyncio.run(create_database())
        database_url = async_url(postgres.url(database="auth_bench"))
        upgrade("auth", database_url)
        runs = [
            bench_cost(
                database_url,
                cost=int(cost),
                seconds=args.seconds,
                concurrency=args.concurrency,
                workers=args.workers,
                logs=workdir,
            )
            for cost in args.costs.split(",")
        ]
    finally:
        postgres.stop()
    report = {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "runs": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for run in runs:
        print(
            f"bcrypt cost {run['bcrypt_cost']:>2}: {run['logins_per_second']:>7} logins/s "
            f"(p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, {run['logins']} logins, statuses {run['statuses']})"
        )
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
