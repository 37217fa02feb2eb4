"""The pages around the seed flow, against the real services: readable errors, catalog filters, admin tools."""

import random
import re
import string

import httpx
import pytest
from playwright.async_api import expect

from tests.e2e.browser.support import PASSWORD, Shop, check_out_for_pickup

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]


def word(length: int = 10) -> str:
    """A random lowercase word: one full-text search token that matches only this test's products."""
    return "".join(random.choices(string.ascii_lowercase, k=length))


async def test_login_and_verify_show_the_services_errors(shop: Shop) -> None:
    tag = word(8)
    email = f"late_{tag}@example.com"
    async with httpx.AsyncClient(base_url=shop.system.auth.url, timeout=10) as auth:
        body = {"username": f"late_{tag}", "name": "Late Verifier", "email": email, "password": PASSWORD}
        assert (await auth.post("/register", json=body)).status_code == 201
    page = await shop.page()
    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill("wrong-password")
    await page.get_by_role("button", name="Log in").click()
    error = page.get_by_test_id("login-error")
    await expect(error).to_have_text(re.compile(r"\w+ \w+"))
    await expect(page.get_by_test_id("verify-link")).to_have_count(0)

    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()  # right password, not verified yet: 403
    await page.get_by_test_id("verify-link").click()
    await page.wait_for_url("**/verify?email=*")
    await expect(page.get_by_label("Email")).to_have_value(email)

    code = await shop.code_after(email, mails=0)
    await page.get_by_label("Verification code").fill(f"{(int(code) + 1) % 1_000_000:06d}")
    await page.get_by_role("button", name="Verify").click()
    await expect(page.get_by_test_id("verify-error")).to_have_text(
        "Invalid or expired code: check it or ask for a new one"
    )

    await page.get_by_role("button", name="Resend code").click()
    await expect(page.get_by_test_id("verify-notice")).to_contain_text("A new code is on its way")
    await expect(page.get_by_test_id("verify-error")).to_have_count(0)
    new_code = await shop.code_after(email, mails=1)
    await page.get_by_role("button", name="Resend code").click()  # again at once: 429
    await expect(page.get_by_test_id("verify-error")).to_contain_text("wait before asking for another")

    await page.get_by_label("Verification code").fill(new_code)
    await page.get_by_role("button", name="Verify").click()
    await expect(page.get_by_test_id("login-notice")).to_contain_text("Cuenta verificada")


async def test_the_catalog_searches_filters_and_sorts(shop: Shop) -> None:
    tag = word()
    for name, price, color in (("alpha", "30.00", "red"), ("beta", "10.00", "blue"), ("gamma", "20.00", "red")):
        await shop.create_product(f"{tag} {name}", price, stock=3, features={"color": color})
    page = await shop.page()
    await page.goto("/home")
    names = page.get_by_test_id("product-name")

    await page.get_by_label("Search").fill(tag)
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page.get_by_test_id("catalog-total")).to_have_text("3 products")
    await expect(names).to_have_text([f"{tag} gamma", f"{tag} beta", f"{tag} alpha"])  # newest first

    await page.get_by_label("Feature", exact=True).fill("color")
    await page.get_by_label("Feature value").fill("red")
    await page.get_by_label("Sort by").select_option(label="Price: low to high")
    await expect(page).to_have_url(re.compile(r"sort=price"))
    await expect(names).to_have_text([f"{tag} gamma", f"{tag} alpha"])

    await page.get_by_label("Min price").fill("25")
    await page.get_by_role("button", name="Apply filters").click()
    await expect(names).to_have_text([f"{tag} alpha"])
    await page.reload()  # the filters live in the URL
    await expect(page.get_by_label("Search")).to_have_value(tag)
    await expect(names).to_have_text([f"{tag} alpha"])


async def test_the_admin_records_a_movement_and_cancels_an_order(shop: Shop) -> None:
    name = f"Browser kettle {word(6)}"
    product_id = await shop.create_product(name, "12.00", stock=4)
    user = await shop.account("user")
    await shop.empty_cart(user)
    async with shop.shopper_api(user) as products:
        added = await products.post("/api/cart", json={"product_id": product_id, "quantity": 1})
        assert added.is_success, added.text
        checkout = await products.post("/api/cart/checkout")
    assert checkout.status_code == 201, checkout.text
    order_id = checkout.json()["order_id"]

    page = await shop.page(await shop.account("admin"))
    await page.goto(f"/admin/inventory?product={product_id}")
    await expect(page.get_by_test_id("selected-stock")).to_have_text("3")
    await page.get_by_label("Movement type").select_option("out")
    await page.get_by_label("Units").fill("2")
    await page.get_by_label("Reason").fill("damaged in the browser test")
    await page.get_by_role("button", name="Record movement").click()
    await expect(page.get_by_test_id("inventory-notice")).to_have_text("Recorded an exit of 2.")
    await expect(page.get_by_test_id("selected-stock")).to_have_text("1")
    await expect(page.get_by_test_id("movement-row").first).to_contain_text("damaged in the browser test")
    await expect(page.get_by_test_id("movement-delta")).to_have_text(["-2", "-1", "+4"])

    await page.get_by_role("link", name="All orders").click()
    row = page.locator(f'[data-testid="order-row"][data-order-id="{order_id}"]')
    await expect(row).to_contain_text(f"1 × {name}")
    await row.get_by_role("button", name=f"Cancel order {order_id}").click()
    await page.get_by_test_id("confirm-button").click()
    await expect(page.get_by_role("status").filter(has_text=f"Order #{order_id} was cancelled")).to_be_visible()
    await expect(row).to_contain_text(re.compile("cancelled", re.IGNORECASE))
    await page.goto(f"/products/{product_id}")
    await expect(page.get_by_test_id("stock-count")).to_have_text("2 in stock")


async def test_an_upload_that_is_not_an_image_is_refused_readably(shop: Shop) -> None:
    page = await shop.page(await shop.account("admin"))
    await page.goto("/admin/products/new")
    await page.get_by_label("Name").fill(f"Browser fake {word(6)}")
    await page.get_by_label("Price").fill("5")
    await page.get_by_label("Image").set_input_files(
        {"name": "photo.png", "mimeType": "image/png", "buffer": b"this is not a PNG at all"}
    )
    async with page.expect_response(lambda r: r.url.endswith("/api/products")) as sent:
        await page.get_by_role("button", name="Create product").click()
    assert (await sent.value).status == 422
    await expect(page.get_by_test_id("product-form-error")).to_have_text("The file is not a JPEG, PNG or WebP image")
    await expect(page).to_have_url(re.compile(r"/admin/products/new$"))


async def test_a_product_archived_while_in_the_cart_is_refused_and_can_be_removed(shop: Shop) -> None:
    name = f"Browser vase {word(6)}"
    product_id = await shop.create_product(name, "9.00", stock=3)
    user = await shop.account("user")
    await shop.empty_cart(user)
    async with shop.shopper_api(user) as products:
        added = await products.post("/api/cart", json={"product_id": product_id, "quantity": 1})
        assert added.is_success, added.text
    async with shop.admin_api() as api:
        assert (await api.delete(f"{shop.system.products.url}/api/products/{product_id}")).status_code == 204

    page = await shop.page(user)
    await page.goto("/cart")
    item = page.locator(f'[data-testid="cart-item"][data-product-id="{product_id}"]')
    await expect(item).to_contain_text("No longer available")
    await check_out_for_pickup(page)
    async with page.expect_response(lambda r: r.url.endswith("/api/cart/checkout")) as sent:
        await page.get_by_role("button", name="Place order").click()
    assert (await sent.value).status == 409
    await expect(page.get_by_test_id("checkout-error")).to_contain_text("no longer sold")
    await page.get_by_role("link", name="Cart", exact=True).first.click()
    await expect(item.get_by_test_id("cart-item-gone")).to_be_visible()
    await item.get_by_role("button", name=f"Remove {name}").click()
    await expect(page.get_by_test_id("cart-empty")).to_be_visible()
    await expect(page.get_by_test_id("checkout-error")).to_have_count(0)


async def test_a_phone_sized_screen_gets_one_column_and_a_menu(shop: Shop) -> None:
    for kind in ("case", "stand"):
        await shop.create_product(f"Browser phone {kind} {word(6)}", "4.00", stock=8)
    page = await shop.page(await shop.account("user"), phone=True)
    await page.goto("/home")
    cards = page.get_by_test_id("product-card")
    await expect(cards.first).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    first, second = await cards.nth(0).bounding_box(), await cards.nth(1).bounding_box()
    assert first and second and second["y"] > first["y"] + first["height"] - 1, "cards stack in one column"
    await shop.shot(page, "home-phone")

    cart_link = page.get_by_test_id("nav-cart")
    await expect(cart_link).to_be_hidden()
    await page.get_by_role("button", name="Menu").tap()
    await expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "true")
    await cart_link.tap()
    await page.wait_for_url("**/cart")
    await expect(cart_link).to_be_hidden()  # the menu closes after navigating
