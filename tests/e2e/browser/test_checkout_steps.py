"""Checkout in steps and fulfilment, walked in Chromium against the real services, broker and SMTP server.

A new user buys two products with a paid delivery method and a bank transfer, gets the confirmation
email, follows the order's timeline; the admin marks it paid, shipped and delivered; the customer gets
the shipped email and sees the tracking number, then "Delivered"; the admin cancels another order and
Inventory's ledger takes the units back. Every amount is in the shop's currency (euros: "€", not "$").
"""

import re
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.auth.notifications.support import parts, wait_for_order_emails
from tests.e2e.browser.support import Account, Shop

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_page_errors")]


async def add_to_cart(page: Page, product_id: int, quantity: int) -> None:
    await page.goto(f"/products/{product_id}")
    await page.get_by_label("Quantity").fill(str(quantity))
    await page.get_by_role("button", name="Add to cart").click()
    await expect(page.get_by_test_id("add-to-cart-success")).to_be_visible()


async def order_email(shop: Shop, account: Account, count: int) -> tuple[EmailMessage, str]:
    """The `count`-th order email to the account (waiting for it), with its plain text."""
    received = await wait_for_order_emails(shop.system.mailbox, account.email, count)
    assert len(received) >= count, f"{len(received)} order emails to {account.email}, expected {count}"
    message = received[count - 1]
    text, html = parts(message)
    assert html.strip()
    return message, text


async def admin_offers_courier_and_bank_transfer(shop: Shop, courier: str, iban: str) -> None:
    """Through the admin pages: a paid delivery method, and the bank transfer's instructions."""
    page = await shop.page(await shop.account("admin"))
    await page.goto("/admin/shipping-methods")
    new = page.get_by_role("form", name="New shipping method")
    await new.get_by_label("Name").fill(courier)
    await new.get_by_label("Price").fill("-1")
    await new.get_by_role("button", name="Save").click()
    await expect(new.get_by_role("alert")).to_contain_text("Price")
    await new.get_by_label("Price").fill("4.90")
    await new.get_by_label("Free above").fill("500")
    await new.get_by_role("button", name="Save").click()
    await expect(page.get_by_test_id("success-notice")).to_contain_text(f"“{courier}” is on offer.")
    await expect(page.get_by_test_id("shipping-method").filter(has_text=courier)).to_contain_text(
        "€4.90 · free above €500.00"
    )
    await admin_moves_the_default_and_back(shop, page, courier.replace("Courier", "Counter"))

    await page.goto("/admin/payment-methods")
    bank = page.locator('[data-testid="payment-method"][data-code="bank_transfer"]')
    await bank.get_by_label("Instructions shown to the customer").fill(iban)
    await bank.get_by_role("button", name="Save Bank transfer instructions").click()
    await expect(page.get_by_test_id("success-notice")).to_have_text("Bank transfer: instructions saved.")
    if await bank.get_by_role("button", name="Enable").count():
        await bank.get_by_role("button", name="Enable").click()
    await expect(bank).to_contain_text("enabled")
    await shop.shot(page, "admin-payment-methods")
    await page.context.close()


async def admin_moves_the_default_and_back(shop: Shop, page: Page, counter: str) -> None:
    """A new pickup method made the default with "Make default", then the shop's own default again (and it goes)."""
    async with shop.admin_api() as api:
        listed = await api.get(f"{shop.system.products.url}/api/shipping-methods")
    old_default = next(method["name"] for method in listed.json() if method["is_default"])
    new = page.get_by_role("form", name="New shipping method")
    await new.get_by_label("Name").fill(counter)
    await new.get_by_label("Price").fill("0")
    await new.get_by_label("Pickup in store").check()
    await new.get_by_role("button", name="Save").click()
    await expect(page.get_by_test_id("success-notice")).to_contain_text(f"“{counter}” is on offer.")
    methods = page.get_by_test_id("shipping-method")
    await page.get_by_role("button", name=f"Make {counter} the default").click()
    await expect(page.get_by_test_id("success-notice")).to_contain_text(f"“{counter}” is the default now")
    await expect(methods.filter(has_text=counter)).to_contain_text("default")
    await expect(page.get_by_role("button", name=f"Make {counter} the default")).to_have_count(0)
    await page.get_by_role("button", name=f"Make {old_default} the default").click()
    await expect(page.get_by_test_id("success-notice")).to_contain_text(f"“{old_default}” is the default now")
    await expect(page.get_by_role("button", name=f"Make {counter} the default")).to_be_visible()
    await page.get_by_role("button", name=f"Deactivate {counter}").click()
    await expect(page.get_by_test_id("success-notice")).to_contain_text(f"“{counter}” is no longer offered.")


async def test_a_new_user_checks_out_in_steps_and_follows_the_order_to_shipped(shop: Shop) -> None:
    tag = uuid.uuid4().hex[:6]
    courier, iban = f"Courier {tag}", f"IBAN ES91 2100 0418 {tag}"
    lamp = await shop.create_product(f"Browser lamp {tag}", "12.50", stock=10)
    rug = await shop.create_product(f"Browser rug {tag}", "30.00", stock=10)
    await admin_offers_courier_and_bank_transfer(shop, courier, iban)
    user = await shop.sign_up("user")

    page = await shop.page(user)
    await page.goto("/home")  # newest first: both are on the first page
    for product_id, price in ((lamp, "€12.50"), (rug, "€30.00")):
        card = page.locator(f'[data-testid="product-card"][data-product-id="{product_id}"]')
        await expect(card.get_by_test_id("product-price")).to_have_text(price)
    await add_to_cart(page, lamp, 2)
    await add_to_cart(page, rug, 1)
    await page.get_by_test_id("nav-cart").click()
    await expect(page.get_by_test_id("cart-total")).to_have_text("€55.00")
    await page.get_by_role("link", name="Check out").click()

    # Address: a new user has none; the form checks before the server does, then the address is saved.
    await page.wait_for_url("**/checkout/address")
    await page.get_by_label("Full name").fill("Ana Compradora")
    await page.get_by_label("Phone").fill("+34 600 111 222")
    await page.get_by_label("Street address").fill("Calle Mayor 1")
    await page.get_by_label("City").fill("Madrid")
    await page.get_by_label("Postal code").fill("28001")
    await page.get_by_label("Country code").fill("E1")
    await page.get_by_role("button", name="Save address and continue").click()
    await expect(page.get_by_text("Two letters (ISO 3166-1), e.g. ES.")).to_be_visible()
    await page.get_by_label("Country code").fill("XX")  # two letters, but no country: the server says so
    await page.get_by_role("button", name="Save address and continue").click()
    await expect(page.get_by_test_id("step-error")).to_contain_text("country")
    await page.reload()  # what was typed and not saved survives a refresh
    await expect(page.get_by_label("Street address")).to_have_value("Calle Mayor 1")
    await page.get_by_label("Country code").fill("es")
    await page.get_by_role("button", name="Save address and continue").click()

    # Shipping, then payment: only the methods that fit a delivery are offered.
    await page.wait_for_url("**/checkout/shipping")
    await expect(page.get_by_test_id("shipping-step")).to_contain_text("€4.90 · free from €500.00")
    await page.get_by_role("radio", name=courier).check()
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/checkout/payment")
    await expect(page.get_by_role("radio", name="Cash on pickup")).to_have_count(0)
    await expect(page.get_by_role("radio", name="Cash on delivery")).to_be_visible()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_test_id("step-error")).to_have_text("Choose how you will pay.")
    await page.get_by_role("radio", name="Bank transfer").check()
    await expect(page.get_by_test_id("payment-step")).to_contain_text(iban)
    await page.get_by_role("button", name="Continue").click()

    # Review: the server's quote in the shop's currency; back, forward and a refresh keep every choice.
    await page.wait_for_url("**/checkout/review")
    await expect(page.get_by_test_id("quote-subtotal")).to_have_text("€55.00")
    await expect(page.get_by_test_id("quote-shipping")).to_have_text("€4.90")
    await expect(page.get_by_test_id("quote-total")).to_have_text("€59.90")
    await page.go_back()
    await expect(page.get_by_role("radio", name="Bank transfer")).to_be_checked()
    await page.go_back()
    await expect(page.get_by_role("radio", name=courier)).to_be_checked()
    await page.go_forward()
    await page.go_forward()
    await page.reload()
    await expect(page.get_by_test_id("review-shipping")).to_have_text(courier)
    await expect(page.get_by_test_id("review-payment")).to_have_text("Bank transfer")
    await expect(page.get_by_test_id("quote-total")).to_have_text("€59.90")
    await expect(page.get_by_test_id("review-step")).to_contain_text("Calle Mayor 1")
    await shop.shot(page, "checkout-review")

    async with page.expect_response(lambda r: r.url.endswith("/api/cart/checkout")) as sent:
        await page.get_by_role("button", name="Place order").click()
    placed = await (await sent.value).json()
    order_id = placed["order_id"]
    assert (placed["message"], placed["total"], placed["currency"]) == ("Compra exitosa", "59.90", "EUR")
    await page.wait_for_url(f"**/checkout/confirmation/{order_id}")
    await expect(page.get_by_test_id("checkout-success")).to_contain_text(f"Order #{order_id} is placed")
    await expect(page.get_by_test_id("payment-instructions")).to_contain_text(iban)
    await expect(page.get_by_test_id("order-total")).to_have_text("€59.90")
    await expect(page.get_by_test_id("timeline-entry").filter(has_text="Order placed")).to_be_visible()
    await expect(page.get_by_test_id("nav-cart")).to_have_text("Cart")
    await shop.shot(page, "checkout-confirmation")

    message, text = await order_email(shop, user, 1)
    assert str(order_id) in message["Subject"]
    assert iban in text and "59,90" in text.replace(".", ","), text
    assert "Calle Mayor 1" in text

    # The admin: paid, then shipped with a tracking number.
    tracking = f"TRK-{tag.upper()}"
    admin = await shop.page(await shop.account("admin"))
    await admin.goto("/admin/orders")
    await admin.get_by_label("Status").select_option("placed")
    await admin.get_by_label("Customer id").fill(str(await user_id_of(shop, user)))
    await admin.get_by_role("button", name="Apply filters").click()
    await expect(admin.get_by_test_id("order-row")).to_have_count(1)
    async with admin.expect_download() as download:
        await admin.get_by_role("button", name="Export CSV").click()
    exported = Path(await (await download.value).path()).read_text().splitlines()
    assert len(exported) == 2 and exported[1].startswith(f"{order_id},"), exported
    await admin.get_by_role("link", name=f"#{order_id}").click()
    await admin.get_by_role("button", name="Mark paid").click()
    await expect(admin.get_by_test_id("payment-status")).to_have_text("paid")
    await admin.get_by_label("Carrier").fill("Correos")
    await admin.get_by_label("Tracking number").fill(tracking)
    await admin.get_by_role("button", name="Mark shipped").click()
    await expect(admin.get_by_test_id("order-status")).to_have_text("shipped")
    await expect(admin.get_by_test_id("tracking-number")).to_have_text(tracking)
    await shop.shot(admin, "admin-order-shipped")

    _, shipped_text = await order_email(shop, user, 3)  # placed, paid, shipped
    assert tracking in shipped_text and "Correos" in shipped_text

    await page.goto(f"/orders/{order_id}")
    await expect(page.get_by_test_id("tracking-number")).to_have_text(tracking)
    await expect(page.get_by_test_id("payment-status")).to_have_text("paid")
    await expect(page.get_by_test_id("timeline-entry")).to_have_text(
        [re.compile("Order placed"), re.compile("Payment received"), re.compile("Shipped")]
    )
    await shop.shot(page, "order-timeline")

    # The parcel arrives: the admin marks it delivered, and the customer's timeline says so.
    await admin.get_by_role("button", name="Mark delivered").click()
    await expect(admin.get_by_test_id("order-status")).to_have_text("delivered")
    await page.reload()
    await expect(page.get_by_test_id("order-status")).to_have_text("delivered")
    await expect(page.get_by_test_id("timeline-entry").last).to_contain_text("Delivered")


async def user_id_of(shop: Shop, account: Account) -> int:
    async with shop.shopper_api(account) as api:
        orders = await api.get("/api/orders")
    assert orders.status_code == 200, orders.text
    return int(orders.json()["items"][0]["user_id"])


async def test_the_admin_cancels_an_order_and_the_stock_is_back_in_the_ledger(shop: Shop) -> None:
    tag = uuid.uuid4().hex[:6]
    product_id = await shop.create_product(f"Browser stool {tag}", "20.00", stock=6)
    user = await shop.sign_up("user")
    async with shop.shopper_api(user) as api:
        assert (await api.post("/api/cart", json={"product_id": product_id, "quantity": 4})).is_success
        checkout = await api.post("/api/cart/checkout")  # the original flow: pickup in store, paid on pickup
    assert checkout.status_code == 201, checkout.text
    order_id = checkout.json()["order_id"]

    page = await shop.page(await shop.account("admin"))
    await page.goto(f"/admin/orders/{order_id}")
    await expect(page.get_by_test_id("order-address")).to_contain_text("Pickup in store")
    await expect(page.get_by_role("button", name="Mark shipped")).to_have_count(0)  # pickup: collected, not shipped
    await page.get_by_label("Note (optional, kept in the history)").fill("customer called")
    await page.get_by_role("button", name="Cancel order").click()
    await expect(page.get_by_test_id("order-status")).to_have_text("cancelled")
    await expect(page.get_by_test_id("timeline-entry").last).to_contain_text("customer called")

    await page.goto(f"/admin/inventory?product={product_id}")
    await expect(page.get_by_test_id("selected-stock")).to_have_text("6")
    await expect(page.get_by_test_id("movement-delta")).to_have_text(["+4", "-4", "+6"])
    async with shop.admin_api() as api:
        ledger = await api.get(f"{shop.system.inventory.url}/api/inventory/{product_id}/movements")
    moves = ledger.json()["items"]
    assert [m["delta"] for m in moves] == [4, -4, 6], moves
    assert moves[0]["reference"] == moves[1]["reference"]  # the reservation's units, released once
