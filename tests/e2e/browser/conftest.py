"""Fixtures of the browser tests: the SPA in front of the shared system, Debian's Chromium, the shop."""

import json
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from tests.e2e.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    METRICS,
    RESULTS,
    SCREENSHOTS,
    Shop,
    WebServer,
    build_web,
    start_web,
)
from tests.support.system import System
from tests.support.tokens import TokenFactory


@pytest.fixture(scope="session")
def web_build() -> Iterator[Future[Path]]:
    """Builds the SPA (when stale) in a thread while the system starts; `make test` has built it already."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(build_web)


@pytest.fixture(scope="session")
def web(web_build: Future[Path], system: System, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """The SPA as `make run` serves it, in front of the shared system."""
    web_build.result()
    server = start_web(system, tmp_path_factory.mktemp("web"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Headless Chromium from the distribution's package (never a downloaded browser)."""
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def metrics() -> Iterator[dict[str, Any]]:
    """Numbers measured by the tests, written to test-results/web-metrics.json at the end."""
    values: dict[str, Any] = {}
    yield values
    if values:
        RESULTS.mkdir(parents=True, exist_ok=True)
        METRICS.write_text(json.dumps(values, indent=2) + "\n")


@pytest.fixture(scope="session")
async def shop(
    web: WebServer, browser: Browser, system: System, tokens: TokenFactory, screenshots: Path
) -> AsyncIterator[Shop]:
    """Tabs on the served SPA and the accounts made through its UI, for the whole session."""
    shop = Shop(web, browser, system, tokens, screenshots)
    yield shop
    await shop.close()


@pytest.fixture
async def no_page_errors(shop: Shop) -> AsyncIterator[None]:
    """Fails the test when the SPA threw an uncaught exception in any tab it opened."""
    shop.page_errors.clear()
    yield
    await shop.close()
    assert not shop.page_errors, shop.page_errors
