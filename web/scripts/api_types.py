"""Regenerate the SPA's API types from the services' OpenAPI documents (`make api-types`).

Each service's app is built in process and `app.openapi()` is written to `web/openapi/<service>.json`;
openapi-typescript turns that into `web/src/api/generated/<service>.ts`. Both are committed, and
tests/web/test_api_types.py fails when either no longer matches what this script would write.
"""

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from microshop.auth.app import create_app as create_auth_app
from microshop.auth.config import AuthSettings
from microshop.common.settings import ServiceSettings
from microshop.inventory.app import create_app as create_inventory_app
from microshop.inventory.config import InventorySettings
from microshop.products.app import create_app as create_products_app
from microshop.products.config import ProductsSettings

WEB = Path(__file__).resolve().parents[1]
OPENAPI_DIR = WEB / "openapi"
GENERATED_DIR = WEB / "src" / "api" / "generated"
OPENAPI_TYPESCRIPT = WEB / "node_modules" / ".bin" / "openapi-typescript"

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def defaults_only(settings_class: type[SettingsT], **overrides: Any) -> SettingsT:
    """Test settings that ignore the environment, so the documents never depend on who generates them."""

    class Defaults(settings_class):  # type: ignore[valid-type,misc]
        @classmethod
        def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, *_: Any, **__: Any
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings,)

    return Defaults(_env_file=None, environment="test", **overrides)


# HS256 with the dev secret: building Auth then reads or writes no signing key file.
APPS: dict[str, Callable[[], FastAPI]] = {
    "auth": lambda: create_auth_app(defaults_only(AuthSettings, jwt_algorithm="HS256")),
    "products": lambda: create_products_app(defaults_only(ProductsSettings)),
    "inventory": lambda: create_inventory_app(defaults_only(InventorySettings)),
}


def openapi_json(service: str) -> str:
    """The service's OpenAPI document as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(APPS[service]().openapi(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def openapi_path(service: str) -> Path:
    return OPENAPI_DIR / f"{service}.json"


def typescript_path(service: str) -> Path:
    return GENERATED_DIR / f"{service}.ts"


def write_typescript(document: Path, out: Path) -> None:
    """Run the pinned openapi-typescript from web/node_modules on one document."""
    if not OPENAPI_TYPESCRIPT.exists():
        raise FileNotFoundError(f"{OPENAPI_TYPESCRIPT} is missing: run `make install` (npm ci in web/) first")
    result = subprocess.run(
        [str(OPENAPI_TYPESCRIPT), str(document), "--output", str(out)], cwd=WEB, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"openapi-typescript failed on {document}:\n{result.stdout}{result.stderr}")


def main() -> None:
    OPENAPI_DIR.mkdir(exist_ok=True)
    GENERATED_DIR.mkdir(parents=True, exist_ok=True)
    for service in APPS:
        document, typescript = openapi_path(service), typescript_path(service)
        document.write_text(openapi_json(service), encoding="utf-8")
        write_typescript(document, typescript)
        print(f"{document.relative_to(WEB)} → {typescript.relative_to(WEB)}", file=sys.stderr)


if __name__ == "__main__":
    main()
