"""Settings of the products service."""

from pathlib import Path

import pycountry
from pydantic import field_validator, model_validator

from microshop.common.settings import (
    DATA_DIR,
    ServiceSettings,
    database_url_field,
    env_factory_field,
    env_field,
    local_service_url,
)

DEV_CLIENT_SECRET = "dev-products-secret"  # noqa: S105 - refused outside dev/test
FORM_OVERHEAD_BYTES = 256 * 1024  # the text fields and multipart framing around an uploaded image


class ProductsSettings(ServiceSettings):
    service_name: str = "products"
    port: int = env_field(8001, "PRODUCTS_PORT")
    database_url: str = database_url_field("products")

    inventory_url: str = env_factory_field(local_service_url("INVENTORY_PORT", 8002), "INVENTORY_URL")
    # This service's client credentials at Auth (POST /token), used to call Inventory.
    service_client_id: str = env_field("products-service", "SERVICE_CLIENT_ID")
    service_client_secret: str = env_field(DEV_CLIENT_SECRET, "SERVICE_CLIENT_SECRET")

    media_dir: Path = env_field(DATA_DIR / "media", "MEDIA_DIR")
    media_url_prefix: str = env_field("/media", "MEDIA_URL_PREFIX")
    max_image_bytes: int = env_field(5 * 1024 * 1024, "MAX_IMAGE_BYTES", ge=1024)
    # A decoded image takes about 4 bytes a pixel: 16 MP is ~64 MB while it is re-encoded.
    max_image_pixels: int = env_field(16_000_000, "MAX_IMAGE_PIXELS", ge=1)
    # Image decodes running at once in one process; more uploads wait their turn.
    image_decode_concurrency: int = env_field(2, "IMAGE_DECODE_CONCURRENCY", ge=1, le=64)

    recovery_interval_seconds: float = env_field(60.0, "RECOVERY_INTERVAL_SECONDS")
    # How often the stock read model is compared with Inventory's versions (drift is repaired and counted).
    stock_reconcile_interval_seconds: float = env_field(300.0, "STOCK_RECONCILE_INTERVAL_SECONDS", gt=0)
    recovery_min_age_seconds: float = env_field(60.0, "RECOVERY_MIN_AGE_SECONDS")
    checkout_abandon_after_seconds: float = env_field(900.0, "CHECKOUT_ABANDON_AFTER")
    # How long an Idempotency-Key keeps its request and answer (Stripe keeps them 24 h).
    idempotency_key_ttl_hours: float = env_field(24.0, "IDEMPOTENCY_KEY_TTL_HOURS", gt=0)

    # The shop's currency (ISO 4217): prices are in it; every answer with amounts says it, every order keeps it
    # (docs/architecture.md#wire-shapes).
    shop_currency: str = env_field("EUR", "SHOP_CURRENCY")

    @field_validator("shop_currency")
    @classmethod
    def _iso_4217(cls, value: str) -> str:
        if pycountry.currencies.get(alpha_3=value.upper()) is None:
            raise ValueError(f"SHOP_CURRENCY must be an ISO 4217 code such as EUR, not {value!r}")
        return value.upper()

    @property
    def body_limit(self) -> int:
        """What the image-upload routes accept: one image plus its form fields and framing."""
        return max(self.max_body_bytes, self.max_image_bytes + FORM_OVERHEAD_BYTES)

    @model_validator(mode="after")
    def _refuse_dev_client_secret_in_production(self) -> "ProductsSettings":
        if self.is_production and self.service_client_secret == DEV_CLIENT_SECRET:
            raise ValueError("SERVICE_CLIENT_SECRET must be set when MICROSHOP_ENV=production")
        return self
