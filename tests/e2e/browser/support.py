"""The browser tests' support: the built SPA served by `vite preview` in front of the shared system.

`system` (tests/conftest.py) runs auth, inventory, products and an SMTP server as real processes; here
`vite preview` serves web/dist with its proxy pointed at their ports, exactly as `make run` serves the app,
and `Shop` opens Chromium tabs on it and makes accounts through the UI.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect
from playwright.async_api import Error as PlaywrightError

from microshop.devtools.embedded_db import free_port
from tests.support.system import System
from tests.support.tokens import TokenFactory

REPO = Path(__file__).resolve().parents[3]
WEB = REPO / "web"
RESULTS = REPO / "test-results"
SCREENSHOTS = RESULTS / "screenshots"
METRICS = RESULTS / "web-metrics.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
PASSWORD = "password123"
# Everything the build reads: when any of it is newer than dist/index.html the SPA is rebuilt.
WEB_INPUTS = ["src", "public", "index.html", "vite.config.ts", "package.json", "package-lock.json", "tsconfig.app.json"]

expect.set_options(timeout=10_000)


def _newest_input() -> float:
    newest = 0.0
    for name in WEB_INPUTS:
        path = WEB / name
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path] if path.exists() else []
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


def build_web() -> Path:
    """web/dist, built with `npm run build` when it is missing or older than its sources."""
    index = WEB / "dist" / "index.html"
    if index.exists() and index.stat().st_mtime >= _newest_input():
        return index.parent
    npm = shutil.which("npm")
    assert npm, "npm is needed to build the SPA (Node >= 20.19)"
    if not (WEB / "node_modules" / ".bin" / "vite").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WEB, check=True)
    subprocess.run([npm, "run", "build", "--silent"], cwd=WEB, check=True)
    return index.parent


async def check_out_for_pickup(page: Page) -> None:
    """From the cart to the checkout's review: no address, pickup in store, cash on pickup."""
    await page.get_by_role("link", name="Check out").click()
    await page.get_by_role("button", name="No address: I will pick up in store").click()
    await page.get_by_role("radio", name="Pickup in store").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("radio", name="Cash on pickup").check()
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/checkout/review")
    await expect(page.get_by_test_id("quote-total")).to_be_visible()


@dataclass
class WebServer:
    """`vite preview` of the built SPA, proxying the API paths to the system's services."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def start_web(system: System, log_dir: Path, *, timeout: float = 30) -> WebServer:
    port = free_port()
    env = {
        **os.environ,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "MICROSHOP_SERVICES_HOST": "127.0.0.1",
        "AUTH_PORT": str(system.auth.port),
        "PRODUCTS_PORT": str(system.products.port),
        "INVENTORY_PORT": str(system.inventory.port),
    }
    log_path = log_dir / "web.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(WEB / "node_modules" / ".bin" / "vite"), "preview"],
            cwd=WEB,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = WebServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vite preview exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            # Through the proxy: the SPA and the services are both up.
            if httpx.get(f"{server.url}/auth/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"vite preview not ready after {timeout}s:\n{log_path.read_text()}")


@dataclass
class Account:
    email: str
    username: str
    name: str
    storage_state: dict[str, Any]

    @property
    def access_token(self) -> str:
        return next(
            item["value"]
            for origin in self.storage_state["origins"]
            for item in origin["localStorage"]
            if item["name"] == "token"
        )


@dataclass
class Shop:
    """Opens pages on the served SPA and remembers the accounts made through the UI (one per role)."""

    web: WebServer
    browser: Browser
    system: System
    tokens: TokenFactory
    screenshots: Path
    accounts: dict[str, Account] = field(default_factory=dict)
    contexts: list[BrowserContext] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    async def page(self, account: Account | None = None, *, phone: bool = False) -> Page:
        """A new tab in a fresh context, logged in as `account` when given; `phone`: a 390x844 touch screen."""
        context = await self.browser.new_context(
            base_url=self.web.url,
            storage_state=account.storage_state if account else None,  # type: ignore[arg-type]
            viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
            is_mobile=phone,
            has_touch=phone,
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        return page

    async def shot(self, page: Page, name: str) -> None:
        await page.screenshot(path=str(self.screenshots / f"{name}.png"), full_page=True)

    async def account(self, role: str) -> Account:
        """A verified, logged-in account of `role`, made once through the register → email → verify → login UI.

        The user and the admin sign up side by side in two tabs on the first call; the user's pages are
        the ones photographed.
        """
        if not self.accounts:
            user, admin = await asyncio.gather(self.sign_up("user", shots=True), self.sign_up("admin"))
            self.accounts.update(user=user, admin=admin)
        return self.accounts[role]

    async def sign_up(self, role: str, *, shots: bool = False) -> Account:
        tag = uuid.uuid4().hex[:8]
        username = f"{'admin' if role == 'admin' else 'shopper'}_{tag}"
        email, name = f"{username}@example.com", f"{role.title()} {tag}"
        page = await self.page()

        await page.goto("/register")
        await page.get_by_label("Username").fill(username)
        await page.get_by_label("Name", exact=True).fill(name)
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_label("Confirm password").fill(PASSWORD)
        if shots:
            await self.shot(page, "register")
        await page.get_by_role("button", name="Create account").click()

        await expect(page.get_by_test_id("verify-notice")).to_contain_text("Usuario creado")
        await expect(page.get_by_label("Email")).to_have_value(email)
        code = await asyncio.to_thread(self.system.mailbox.last_code, email, wait=10)
        await page.get_by_label("Verification code").fill(code)
        if shots:
            await self.shot(page, "verify")
        await page.get_by_role("button", name="Verify").click()

        await expect(page.get_by_test_id("login-notice")).to_contain_text("Cuenta verificada")
        await expect(page.get_by_label("Email")).to_have_value(email)
        await page.get_by_label("Password").fill(PASSWORD)
        if shots:
            await self.shot(page, "login")
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url("**/home")
        await expect(page.get_by_test_id("nav-user")).to_contain_text(name)

        token = await page.evaluate("localStorage.getItem('token')")
        refresh = await page.evaluate("localStorage.getItem('refresh_token')")
        assert token and token.count(".") == 2, token
        assert refresh, "the refresh token is stored too"
        state = await page.context.storage_state()
        await page.context.close()
        return Account(email, username, name, dict(state))

    def shopper_api(self, account: Account) -> httpx.AsyncClient:
        """The products service as `account`, for setup the UI is not the subject of."""
        headers = {"Authorization": f"Bearer {account.access_token}"}
        return httpx.AsyncClient(base_url=self.system.products.url, headers=headers, timeout=10)

    async def empty_cart(self, account: Account) -> None:
        """Start a cart test from an empty cart, whatever an earlier test left behind."""
        async with self.shopper_api(account) as api:
            emptied = await api.delete("/api/cart")
        assert emptied.status_code == 200, emptied.text

    async def code_after(self, email: str, *, mails: int, timeout: float = 10) -> str:
        """The code of the first email to `email` beyond the `mails` it had already received."""
        async with asyncio.timeout(timeout):
            while len(self.system.mailbox.to(email)) <= mails:
                await asyncio.sleep(0.05)
        return self.system.mailbox.last_code(email)

    def admin_api(self) -> httpx.AsyncClient:
        """Setup calls straight to the services as an admin (the UI is what is under test, not these)."""
        return httpx.AsyncClient(headers={"Authorization": f"Bearer {self.tokens.admin()}"}, timeout=10)

    async def create_product(self, name: str, price: str, *, stock: int, features: dict[str, Any] | None = None) -> int:
        body = {"name": name, "price": price, "stock": stock, "features": features or {}}
        async with self.admin_api() as api:
            created = await api.post(f"{self.system.products.url}/api/products", json=body)
        assert created.status_code == 201, created.text
        return int(created.json()["id"])

    async def set_stock(self, product_id: int, stock: int) -> None:
        async with self.admin_api() as api:
            done = await api.put(f"{self.system.inventory.url}/api/inventory/{product_id}", json={"stock": stock})
        assert done.status_code == 200, done.text

    async def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(PlaywrightError):  # already closed by the test
                await context.close()
        self.contexts.clear()
