"""The specification's reference flow walked in headless Chromium against the real services.

Accounts are made once per role through the register → emailed code → verify → login UI and their
storage state reused; the admin's product (created with an image, edited, stocked in the Inventory
view) is shared by the purchase, first-render and deletion tests, which run in this file's order.
"""

import gzip
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from PIL import Image
from playwright.async_api import Page, expect

from tests.e2e.browser.support import PASSWORD, WEB, Shop, check_out_for_pickup
from tests.support.system import System
from tests.support.tokens import TokenFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]

# Records when the first product card appears, measured from the navigation's start.
FIRST_CARD_PROBE = """
new MutationObserver((_, observer) => {
  if (document.querySelector('[data-testid="product-card"]')) {
    window.__firstCardAt = performance.now()
    observer.disconnect()
  }
}).observe(document, { childList: true, subtree: true })
"""


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


@dataclass
class Product:
    id: int
    name: str
    price: str


def card(page: Page, product_id: int) -> Any:
    return page.locator(f'[data-testid="product-card"][data-product-id="{product_id}"]')


async def wait_image_loaded(page: Page, name: str) -> None:
    """The product's <img> (alt = its name) has loaded real pixels through the /media proxy."""
    image = page.get_by_role("img", name=name, exact=True).first
    await expect(image).to_be_visible()
    await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=await image.element_handle())


@pytest.fixture(scope="session")
def product_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("images") / "lamp.png"
    image = Image.new("RGB", (320, 240))
    image.putdata([(x % 256, (y * 2) % 256, 120) for y in range(240) for x in range(320)])
    image.save(path)
    return path


@pytest.fixture(scope="session")
async def stocked_product(shop: Shop, product_image: Path) -> Product:
    """Seed 8.1 steps 3-4 in the admin UI: create a product with an image, edit it, set its stock."""
    admin = await shop.account("admin")
    page = await shop.page(admin)
    tag = uuid.uuid4().hex[:6]
    name = f"Browser lamp {tag}"

    await page.goto("/home")
    await page.get_by_test_id("new-product").click()
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Price").fill("19.99")
    await page.get_by_label("Initial stock").fill("2")
    await page.get_by_label("Description").fill("A lamp made by the browser test.")
    await page.get_by_role("button", name="Add feature").click()
    await page.get_by_label("Feature 1 key").fill("color")
    await page.get_by_label("Feature 1 value").fill("orange")
    await page.get_by_label("Image").set_input_files(product_image)
    await expect(page.get_by_test_id("image-preview")).to_be_visible()
    await shop.shot(page, "product-form")
    async with page.expect_response(lambda r: r.url.endswith("/api/products") and r.request.method == "POST") as sent:
        await page.get_by_role("button", name="Create product").click()
    created = await sent.value
    assert created.status == 201, await created.text()
    product_id = int((await created.json())["id"])
    await page.wait_for_url(f"**/products/{product_id}")
    await expect(page.get_by_role("heading", name=name)).to_be_visible()
    await expect(page.get_by_test_id("stock-count")).to_have_text("2 in stock")
    await wait_image_loaded(page, name)

    await page.get_by_role("link", name="Edit", exact=True).click()
    await page.wait_for_url(f"**/admin/products/{product_id}/edit")
    await expect(page.get_by_label("Name")).to_have_value(name)
    await expect(page.get_by_label("Feature 1 value")).to_have_value("orange")
    name = f"{name} deluxe"
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Price").fill("24.50")
    await page.get_by_role("button", name="Save changes").click()
    await page.wait_for_url(f"**/products/{product_id}")
    await expect(page.get_by_role("heading", name=name)).to_be_visible()
    await expect(page.get_by_test_id("product-detail").get_by_test_id("product-price")).to_have_text("€24.50")
    await expect(page.get_by_label("Features")).to_contain_text("orange")

    await page.get_by_role("link", name="Inventory", exact=True).click()
    row = page.locator(f'[data-testid="inventory-row"][data-product-id="{product_id}"]')
    await expect(row.get_by_test_id("inventory-stock")).to_have_text("2")
    await page.get_by_label(f"Stock for {name}").fill("5")
    await page.get_by_role("button", name=f"Set {name} stock").click()
    await expect(page.get_by_test_id("inventory-notice")).to_contain_text(f"Stock of {name} set to 5")
    await expect(row.get_by_test_id("inventory-stock")).to_have_text("5")
    await page.get_by_role("button", name=f"History of {name}").click()
    await expect(page.get_by_test_id("selected-stock")).to_have_text("5")
    # Newest first: the set to 5 (+3) after the initial stock (+2), both in the ledger.
    await expect(page.get_by_test_id("movement-delta")).to_have_text(["+3", "+2"])
    await shop.shot(page, "inventory")
    await page.context.close()
    return Product(product_id, name, "24.50")


async def test_a_user_signs_up_verifies_and_logs_in_and_the_token_is_stored(shop: Shop) -> None:
    user = await shop.account("user")
    page = await shop.page(user)
    await page.goto("/home")
    await expect(page.get_by_test_id("nav-user")).to_have_text(user.name)
    token = await page.evaluate("localStorage.getItem('token')")
    assert token == user.access_token
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["role"]) == (user.email, "user")
    await expect(page.get_by_role("link", name="Inventory", exact=True)).to_have_count(0)


async def test_an_admin_creates_edits_and_stocks_a_product(shop: Shop, stocked_product: Product) -> None:
    admin = await shop.account("admin")
    assert jwt.decode(admin.access_token, options={"verify_signature": False})["role"] == "admin"
    page = await shop.page(admin)
    await page.goto("/home")
    product = card(page, stocked_product.id)
    await expect(product.get_by_test_id("product-name")).to_have_text(stocked_product.name)
    await expect(product.get_by_test_id("product-price")).to_have_text("€24.50")
    await expect(product.get_by_test_id("stock-badge")).to_have_attribute("data-stock", "5")
    await expect(product.get_by_test_id("stock-badge")).to_have_text("Only 5 left")
    await wait_image_loaded(page, stocked_product.name)


async def test_home_first_render_is_measured(shop: Shop, stocked_product: Product, metrics: dict[str, Any]) -> None:
    page = await shop.page()
    await page.add_init_script(FIRST_CARD_PROBE)
    await page.goto("/home")
    await expect(card(page, stocked_product.id)).to_be_visible()
    timings = await page.evaluate(
        """() => ({
          fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
          cards: window.__firstCardAt ?? null,
          dom: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? null,
          scripts: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
            .filter((path) => path.endsWith('.js')),
        })"""
    )
    loaded = [WEB / "dist" / path.lstrip("/") for path in timings["scripts"]]
    assert loaded and all(path.is_file() for path in loaded), timings["scripts"]
    every_chunk = sorted((WEB / "dist" / "assets").glob("*.js"))
    metrics["home_js_gzip_bytes"] = sum(gzip_size(path) for path in loaded)
    metrics["bundle_js_gzip_bytes"] = sum(gzip_size(path) for path in every_chunk)
    assert timings["fcp"] is not None and timings["cards"] is not None, timings
    metrics["home_first_contentful_paint_ms"] = round(timings["fcp"], 1)
    metrics["home_product_cards_visible_ms"] = round(timings["cards"], 1)
    metrics["home_dom_content_loaded_ms"] = round(timings["dom"], 1)
    print(
        f"\nHome: first contentful paint {timings['fcp']:.0f} ms, product cards at {timings['cards']:.0f} ms,"
        f" JS {metrics['home_js_gzip_bytes']} B gzip loaded of {metrics['bundle_js_gzip_bytes']} B in all chunks"
    )
    await shop.shot(page, "home")


async def test_a_user_buys_the_product_and_the_stock_goes_down(shop: Shop, stocked_product: Product) -> None:
    user = await shop.account("user")
    await shop.empty_cart(user)
    page = await shop.page(user)
    await page.goto(f"/products/{stocked_product.id}")
    await expect(page.get_by_test_id("stock-count")).to_have_text("5 in stock")
    await page.get_by_label("Quantity").fill("2")
    await page.get_by_role("button", name="Add to cart").click()
    await expect(page.get_by_test_id("add-to-cart-success")).to_contain_text(f"2 × {stocked_product.name}")

    await page.get_by_test_id("nav-cart").click()
    item = page.locator(f'[data-testid="cart-item"][data-product-id="{stocked_product.id}"]')
    await expect(item.get_by_test_id("cart-item-name")).to_have_text(stocked_product.name)
    await expect(item.get_by_test_id("cart-item-quantity")).to_have_value("2")
    await expect(item.get_by_test_id("cart-item-total")).to_have_text("€49.00")
    await expect(page.get_by_test_id("cart-total")).to_have_text("€49.00")
    await shop.shot(page, "cart")

    await check_out_for_pickup(page)
    await expect(page.get_by_test_id("quote-total")).to_have_text("€49.00")
    async with page.expect_response(lambda r: r.url.endswith("/api/cart/checkout")) as sent:
        await page.get_by_role("button", name="Place order").click()
    order = await (await sent.value).json()
    assert order["message"] == "Compra exitosa" and order["total"] == "49.00"
    success = page.get_by_test_id("checkout-success")
    await expect(success).to_contain_text(f"Order #{order['order_id']} is placed")
    await expect(page.get_by_test_id("order-total")).to_have_text("€49.00")
    await expect(page.get_by_test_id("nav-cart")).to_have_text("Cart")
    await shop.shot(page, "checkout-success")

    await page.goto(f"/products/{stocked_product.id}")
    await expect(page.get_by_test_id("stock-count")).to_have_text("3 in stock")
    await page.get_by_role("link", name="Orders", exact=True).click()
    row = page.locator(f'[data-testid="order-row"][data-order-id="{order["order_id"]}"]')
    await expect(row).to_contain_text(f"2 × {stocked_product.name}")
    await expect(row.get_by_test_id("order-total")).to_have_text("€49.00")
    await expect(row).to_contain_text(re.compile("placed", re.IGNORECASE))
    await shop.shot(page, "orders")


async def test_a_checkout_beyond_the_stock_shows_the_shortage(shop: Shop) -> None:
    name = f"Browser mug {uuid.uuid4().hex[:6]}"
    product_id = await shop.create_product(name, "7.00", stock=2)
    user = await shop.account("user")
    await shop.empty_cart(user)
    page = await shop.page(user)
    await page.goto(f"/products/{product_id}")
    await page.get_by_label("Quantity").fill("2")
    await page.get_by_role("button", name="Add to cart").click()
    await expect(page.get_by_test_id("add-to-cart-success")).to_be_visible()
    await shop.set_stock(product_id, 1)  # someone else bought one meanwhile

    await page.get_by_test_id("nav-cart").click()
    item = page.locator(f'[data-testid="cart-item"][data-product-id="{product_id}"]')
    await expect(item.get_by_test_id("cart-item-quantity")).to_have_value("2")
    await expect(item).to_contain_text("Only 1 left")
    await expect(item).not_to_contain_text("No longer available")
    await check_out_for_pickup(page)
    async with page.expect_response(lambda r: r.url.endswith("/api/cart/checkout")) as sent:
        await page.get_by_role("button", name="Place order").click()
    assert (await sent.value).status == 409
    await expect(page.get_by_test_id("checkout-error")).to_be_visible()
    await expect(page.get_by_test_id("shortage-item")).to_have_text(f"{name}: you asked for 2, only 1 available.")
    await expect(page).to_have_url(re.compile(r"/checkout/review$"))
    await page.get_by_role("link", name="Cart", exact=True).first.click()
    await expect(item.get_by_test_id("cart-item-shortage")).to_contain_text("only 1 available")
    await expect(page.get_by_test_id("checkout-button")).to_have_text("Check out")
    await shop.shot(page, "checkout-shortage")
    await page.get_by_role("button", name="Empty cart").click()
    await expect(page.get_by_test_id("cart-empty")).to_be_visible()


async def test_the_admin_deletes_the_product_after_confirming(shop: Shop, stocked_product: Product) -> None:
    page = await shop.page(await shop.account("admin"))
    await page.goto("/home")
    product = card(page, stocked_product.id)
    dialog = page.get_by_test_id("confirm-dialog")
    await product.get_by_role("button", name=f"Delete {stocked_product.name}").click()
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    await expect(product).to_be_visible()

    await product.get_by_role("button", name=f"Delete {stocked_product.name}").click()
    async with page.expect_response(lambda r: r.request.method == "DELETE") as sent:
        await page.get_by_test_id("confirm-button").click()
    assert (await sent.value).status == 204
    await expect(product).to_have_count(0)
    await expect(page.get_by_role("status").filter(has_text="was deleted")).to_be_visible()
    await page.goto(f"/products/{stocked_product.id}")
    await expect(page.get_by_role("alert")).to_be_visible()
    await expect(page.get_by_test_id("product-detail")).to_have_count(0)


async def test_an_expired_token_with_a_revoked_refresh_token_lands_on_login(
    shop: Shop, system: System, tokens: TokenFactory
) -> None:
    user = await shop.account("user")
    with httpx.Client(base_url=system.auth.url, timeout=10) as auth:
        login = auth.post("/login", json={"email": user.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        refresh_token = login.json()["refresh_token"]
        assert auth.post("/logout", json={"refresh_token": refresh_token}).status_code == 204
    user_id = jwt.decode(user.access_token, options={"verify_signature": False})["user_id"]
    expired = tokens.sign(
        tokens.claims(subject=user.email, role="user", user_id=user_id, lifetime=timedelta(minutes=-5))
    )

    page = await shop.page()
    await page.goto("/login")
    await page.evaluate(
        "([access, refresh]) => { localStorage.token = access; localStorage.refresh_token = refresh }",
        [expired, refresh_token],
    )
    async with page.expect_response(lambda r: r.url.endswith("/auth/token/refresh")) as refreshed:
        await page.goto("/cart")
    assert (await refreshed.value).status == 401
    await page.wait_for_url(re.compile(r"/login\?.*reason=expired"))
    await expect(page.get_by_test_id("login-notice")).to_contain_text("session has expired")
    assert await page.evaluate("[localStorage.getItem('token'), localStorage.getItem('refresh_token')]") == [None, None]
    await expect(page.get_by_role("button", name="Log in")).to_be_visible()
