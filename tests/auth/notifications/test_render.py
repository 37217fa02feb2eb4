"""Order emails from their templates: the right facts in both parts, escaped HTML, money in the order's currency."""

import uuid
from decimal import Decimal

import pytest
from babel import Locale

from microshop.auth.notifications.render import Recipient, money_formatter, order_email, render
from microshop.auth.notifications.schemas import KINDS, OrderData
from tests.auth.notifications.support import BANK_INSTRUCTIONS, order_data, parts

SPAIN = Locale.parse("es_ES")
ANA = Recipient(email="ana@example.com", name="Ana <Pérez>")


def rendered(kind: str, *, locale: Locale = SPAIN, **overrides: object) -> tuple[str, str, str]:
    order = OrderData.model_validate(order_data(**overrides))
    return render(kind, order=order, recipient=ANA, locale=locale, shop_url="https://shop.example/")


class TestMoney:
    @pytest.mark.parametrize(
        ("currency", "locale", "amount", "written"),
        [
            ("EUR", "es_ES", "1264.40", "1.264,40\xa0€"),
            ("EUR", "es_ES", "12345.5", "12.345,50\xa0€"),
            ("USD", "en_US", "1264.4", "$1,264.40"),
            ("GBP", "en_GB", "0.5", "£0.50"),
            ("JPY", "ja_JP", "1500", "￥1,500"),
        ],
    )
    def test_amounts_are_written_as_the_currency_and_locale_write_them(
        self, currency: str, locale: str, amount: str, written: str
    ) -> None:
        assert money_formatter(currency, Locale.parse(locale))(Decimal(amount)) == written


class TestPlaced:
    def test_lists_lines_totals_address_and_bank_instructions_in_both_parts(self) -> None:
        subject, text, html = rendered("placed")
        assert subject == "Hemos recibido tu pedido n.º 1001"
        for body in (text, html):
            assert "Libro" in body and "1.234,50\xa0€" in body
            assert "25,00\xa0€" in body and "4,90\xa0€" in body and "1.264,40\xa0€" in body
            assert "Calle Mayor 1" in body and "28013 Madrid" in body and "España" in body
            assert BANK_INSTRUCTIONS in body
            assert "https://shop.example/orders/1001" in body
        assert "2 × Taza <roja>" in text

    def test_html_escapes_what_customers_and_admins_typed(self) -> None:
        _, _, html = rendered("placed")
        assert "Taza &lt;roja&gt;" in html and "<roja>" not in html
        assert "Ana &lt;Pérez&gt;" in html

    def test_pickup_in_store_has_no_address(self) -> None:
        pickup = {"method_id": 1, "name": "Recogida en tienda", "price": "0.00", "pickup": True}
        _, text, html = rendered("placed", address=None, shipping=pickup, shipping_total="0.00", total="1259.50")
        for body in (text, html):
            assert "Recogida en tienda" in body and "Envío a" not in body

    def test_cash_on_delivery_asks_for_no_transfer(self) -> None:
        cash = {"method": "cash_on_delivery", "name": "Contra reembolso", "instructions": None}
        _, text, html = rendered("placed", payment=cash)
        for body in (text, html):
            assert "Contra reembolso" in body and "transferencia" not in body.lower()

    def test_the_orders_currency_is_used(self) -> None:
        _, text, _ = rendered("placed", locale=Locale.parse("en_US"), currency="USD")
        assert "$1,264.40" in text and "€" not in text


class TestLaterSteps:
    def test_paid_confirms_the_amount(self) -> None:
        subject, text, html = rendered("paid", status="placed", payment_status="paid")
        assert subject == "Pago recibido: pedido n.º 1001"
        assert all("1.264,40\xa0€" in body for body in (text, html))

    def test_shipped_names_carrier_and_tracking_number(self) -> None:
        subject, text, html = rendered("shipped", status="shipped", carrier="SEUR", tracking_number="TRK-123<4>")
        assert subject == "Tu pedido n.º 1001 está en camino"
        assert "SEUR" in text and "TRK-123<4>" in text
        assert "SEUR" in html and "TRK-123&lt;4&gt;" in html

    def test_delivered(self) -> None:
        subject, text, html = rendered("delivered", status="delivered")
        assert subject == "Tu pedido n.º 1001 ha sido entregado"
        assert all("entregado" in body for body in (text, html))

    def test_cancelled_paid_order_says_refunded(self) -> None:
        subject, text, html = rendered("cancelled", status="cancelled", payment_status="refunded")
        assert subject == "Tu pedido n.º 1001 ha sido cancelado"
        assert all("reembolsado" in body and "1.264,40\xa0€" in body for body in (text, html))

    def test_cancelled_unpaid_order_charges_nothing(self) -> None:
        _, text, html = rendered("cancelled", status="cancelled", payment_status="unpaid")
        assert all("reembolsado" not in body and "No se te ha cobrado nada" in body for body in (text, html))


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_one_message_with_a_text_and_an_html_part(kind: str) -> None:
    event_id = uuid.uuid4()
    message = order_email(
        kind,
        event_id=event_id,
        order=OrderData.model_validate(order_data()),
        recipient=ANA,
        sender="microshop <no-reply@shop.example>",
        locale=SPAIN,
        shop_url="https://shop.example",
    )
    text, html = parts(message)
    assert message["To"] == ANA.email
    assert message["Message-ID"] == f"<order-{kind}.{event_id}@shop.example>"
    assert "1001" in text and html.lstrip().startswith("<!DOCTYPE html>")
