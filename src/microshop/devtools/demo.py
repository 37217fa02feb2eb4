"""Demo data: a small shop loaded through the services' own APIs (dev configuration only).

The two demo accounts are made the way an operator makes accounts (`create-admin`'s code path,
verified, no email round trip); every product goes through Products' public API as the demo
admin, with an image drawn locally by Pillow and its stock set through Inventory.
"""

import io
import json
from dataclasses import dataclass
from decimal import Decimal

import httpx
from PIL import Image, ImageDraw, ImageFont

from microshop.auth.admin import create_account
from microshop.auth.config import AuthSettings
from microshop.common.security import ROLE_ADMIN, ROLE_USER


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    username: str
    role: str


DEMO_ADMIN = DemoAccount("demo-admin@example.com", "admin-demo-2026", "demoadmin", ROLE_ADMIN)
DEMO_USER = DemoAccount("demo-user@example.com", "user-demo-2026", "demouser", ROLE_USER)

CATEGORY_COLOURS = {
    "laptops": (37, 99, 235),
    "phones": (22, 163, 74),
    "audio": (217, 119, 6),
    "monitors": (147, 51, 234),
    "accessories": (220, 38, 38),
    "gaming": (8, 145, 178),
}

# name, price, stock, features (the category is a feature like any other, filterable)
CATALOG: list[tuple[str, str, int, dict[str, object]]] = [
    ("Laptop Gamer", "1500.00", 10, {"category": "laptops", "brand": "ASUS", "ram": "16GB", "gpu": "RTX 3060"}),
    ("Ultrabook 14", "1199.00", 7, {"category": "laptops", "brand": "Lenovo", "ram": "16GB", "weight_kg": 1.2}),
    ("Workstation 16", "2499.00", 3, {"category": "laptops", "brand": "Dell", "ram": "32GB", "gpu": "RTX 4070"}),
    ("Chromebook 11", "299.00", 0, {"category": "laptops", "brand": "Acer", "ram": "4GB"}),
    ("Phone Pro 6.1", "999.00", 12, {"category": "phones", "brand": "Pixel", "storage": "256GB", "5g": True}),
    ("Phone Lite", "349.00", 25, {"category": "phones", "brand": "Moto", "storage": "128GB", "5g": True}),
    ("Phone Mini", "599.00", 2, {"category": "phones", "brand": "Sony", "storage": "128GB", "5g": False}),
    ("Rugged Phone", "449.00", 0, {"category": "phones", "brand": "Cat", "storage": "64GB", "ip_rating": "IP69"}),
    ("Noise-Cancelling Headphones", "329.00", 15, {"category": "audio", "brand": "Sony", "wireless": True}),
    ("Studio Monitors (pair)", "449.00", 4, {"category": "audio", "brand": "Yamaha", "wireless": False}),
    ("Wireless Earbuds", "149.00", 40, {"category": "audio", "brand": "Jabra", "wireless": True}),
    ("USB Microphone", "129.00", 1, {"category": "audio", "brand": "Rode", "connector": "USB-C"}),
    ("27in 4K Monitor", "429.00", 9, {"category": "monitors", "brand": "LG", "size_in": 27, "panel": "IPS"}),
    ("34in Ultrawide", "699.00", 5, {"category": "monitors", "brand": "Samsung", "size_in": 34, "panel": "VA"}),
    ("24in Office Monitor", "159.00", 30, {"category": "monitors", "brand": "Dell", "size_in": 24, "panel": "IPS"}),
    ("Portable Monitor", "219.00", 0, {"category": "monitors", "brand": "ASUS", "size_in": 15.6, "panel": "IPS"}),
    ("Mechanical Keyboard", "119.00", 20, {"category": "accessories", "brand": "Keychron", "layout": "ES"}),
    ("Wireless Mouse", "49.00", 35, {"category": "accessories", "brand": "Logitech", "wireless": True}),
    ("USB-C Dock", "189.00", 3, {"category": "accessories", "brand": "CalDigit", "ports": 12}),
    ("Laptop Backpack", "79.00", 18, {"category": "accessories", "brand": "Targus", "fits_in": 16}),
    ("Game Console", "499.00", 6, {"category": "gaming", "brand": "Sony", "storage": "1TB"}),
    ("Handheld Console", "399.00", 2, {"category": "gaming", "brand": "Valve", "storage": "512GB"}),
    ("Gamepad", "59.00", 22, {"category": "gaming", "brand": "Microsoft", "wireless": True}),
    ("Racing Wheel", "349.00", 0, {"category": "gaming", "brand": "Logitech", "force_feedback": True}),
]


def product_image(name: str, category: str) -> bytes:
    """A 640x480 PNG card: the category's colour, a lighter band and the product's name."""
    colour = CATEGORY_COLOURS.get(category, (71, 85, 105))
    image = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(image)
    light = tuple(min(255, c + 70) for c in colour)
    draw.rounded_rectangle((40, 150, 600, 330), radius=24, fill=light)
    font = ImageFont.load_default(size=40)
    draw.text((320, 240), name, fill=(15, 23, 42), font=font, anchor="mm")
    draw.text((320, 410), category.upper(), fill=(255, 255, 255), font=ImageFont.load_default(size=28), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def ensure_accounts(settings: AuthSettings) -> list[str]:
    """The demo admin and user, verified (re-running resets their passwords to the demo ones)."""
    return [
        await create_account(
            settings, role=account.role, email=account.email, password=account.password, username=account.username
        )
        for account in (DEMO_ADMIN, DEMO_USER)
    ]


DEMO_DELIVERY = {"name": "Standard delivery (2-3 days)", "price": "4.90", "free_above": "50.00", "pickup": False}
DEMO_BANK_INSTRUCTIONS = (
    "Transfer the total to IBAN ES91 2100 0418 4502 0005 1332 (microshop demo), your order number as reference."
)


async def catalog_is_empty(products_url: str) -> bool:
    async with httpx.AsyncClient(base_url=products_url, timeout=10) as client:
        response = await client.get("/api/products", params={"page_size": 1})
        response.raise_for_status()
        return int(response.json()["total"]) == 0


async def load_catalog(*, auth_url: str, products_url: str) -> int:
    """Create every demo product that is not in the catalog yet; returns how many were created."""
    async with httpx.AsyncClient(timeout=30) as client:
        login = await client.post(
            f"{auth_url}/login", json={"email": DEMO_ADMIN.email, "password": DEMO_ADMIN.password}
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = 0
        for name, price, stock, features in CATALOG:
            found = await client.get(f"{products_url}/api/products", params={"q": name, "page_size": 100})
            found.raise_for_status()
            if any(item["name"] == name for item in found.json()["items"]):
                continue
            category = str(features["category"])
            response = await client.post(
                f"{products_url}/api/products",
                headers=headers,
                data={
                    "name": name,
                    "price": str(Decimal(price)),
                    "stock": str(stock),
                    "description": f"{name} by {features.get('brand', 'microshop')} — demo {category} item.",
                    "features": json.dumps(features),
                },
                files={"image": (f"{category}.png", product_image(name, category), "image/png")},
            )
            if response.status_code != 201:
                raise RuntimeError(f"creating demo product {name!r} failed: {response.status_code} {response.text}")
            created += 1
        return created


async def load_checkout_options(*, auth_url: str, products_url: str) -> int:
    """A paid delivery method beside the seeded pickup, and bank transfer instructions; returns what was made."""
    async with httpx.AsyncClient(base_url=products_url, timeout=30) as client:
        login = await client.post(
            f"{auth_url}/login", json={"email": DEMO_ADMIN.email, "password": DEMO_ADMIN.password}
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        made = 0
        methods = await client.get("/api/shipping-methods", params={"include_inactive": "true"}, headers=headers)
        methods.raise_for_status()
        if not any(method["name"] == DEMO_DELIVERY["name"] for method in methods.json()):
            (await client.post("/api/shipping-methods", json=DEMO_DELIVERY, headers=headers)).raise_for_status()
            made += 1
        payments = await client.get("/api/payment-methods", params={"include_disabled": "true"}, headers=headers)
        payments.raise_for_status()
        if not any(m["code"] == "bank_transfer" and m["instructions"] for m in payments.json()):
            body = {"instructions": DEMO_BANK_INSTRUCTIONS}
            (await client.patch("/api/payment-methods/bank_transfer", json=body, headers=headers)).raise_for_status()
            made += 1
        return made


async def seed_demo(*, settings: AuthSettings, auth_url: str, products_url: str) -> str:
    """Accounts, catalog and checkout options, idempotent: what is already there is not made twice."""
    accounts = await ensure_accounts(settings)
    created = await load_catalog(auth_url=auth_url, products_url=products_url)
    options = await load_checkout_options(auth_url=auth_url, products_url=products_url)
    return "\n".join(
        [*accounts, f"demo products created: {created} (of {len(CATALOG)})", f"checkout options set: {options}"]
    )


async def accounts_work(*, auth_url: str) -> bool:
    """Whether both demo accounts log in with the printed passwords."""
    async with httpx.AsyncClient(base_url=auth_url, timeout=30) as client:
        for account in (DEMO_ADMIN, DEMO_USER):
            response = await client.post("/login", json={"email": account.email, "password": account.password})
            if response.status_code != 200:
                return False
    return True


def credentials_banner() -> str:
    return (
        f"  demo admin  {DEMO_ADMIN.email} / {DEMO_ADMIN.password}\n"
        f"  demo user   {DEMO_USER.email} / {DEMO_USER.password}"
    )
