"""Conventions every service's routes keep: aliases are their original routes again, 401 and 403
are documented from the guards, every listing refuses a page over the one maximum, nothing a route
depends on runs in the thread pool."""

import inspect
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from microshop.auth.app import create_app as create_auth
from microshop.auth.config import AuthSettings
from microshop.common.pagination import MAX_PAGE_SIZE
from microshop.common.routing import auth_responses
from microshop.inventory.app import create_app as create_inventory
from microshop.inventory.config import InventorySettings
from microshop.products.app import create_app as create_products
from microshop.products.config import ProductsSettings
from tests.support.apps import app_client, make_settings
from tests.support.tokens import TokenFactory, bearer

# The original specification's paths, and the route each one is an alias of.
ORIGINAL_OF: dict[str, Callable[[str], str]] = {
    "auth": lambda alias: alias.removeprefix("/users"),
    "products": lambda alias: "/api" + alias,
    "inventory": lambda alias: "/api" + alias,
}
ALIASES = {
    "auth": {"/users/register", "/users/verify", "/users/login"},
    "products": {"/products", "/products/{product_id}"},
    "inventory": {
        "/inventory",
        "/inventory/{product_id}",
        "/inventory/{product_id}/movements",
        "/inventory/reservations",
        "/inventory/reservations/{reference}",
        "/inventory/reservations/{reference}/release",
    },
}
FASTAPI_DOCS = {"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


def _private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def build_apps(database_url: str, tokens: TokenFactory, media_dir: Path) -> dict[str, FastAPI]:
    common: dict[str, Any] = {"database_url": database_url, "jwt_public_key": tokens.public_pem}
    return {
        "auth": create_auth(make_settings(AuthSettings, database_url=database_url, jwt_private_key=_private_pem())),
        "products": create_products(
            make_settings(ProductsSettings, **common, media_dir=media_dir, recovery_interval_seconds=3600)
        ),
        "inventory": create_inventory(make_settings(InventorySettings, **common)),
    }


@pytest.fixture(scope="module")
def apps(tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory) -> dict[str, FastAPI]:
    """The three apps, not started: enough to read their routes and OpenAPI documents."""
    return build_apps("postgresql+asyncpg://unused@127.0.0.1:1/none", tokens, tmp_path_factory.mktemp("media"))


def api_routes(app: FastAPI) -> list[Any]:
    """Every operation the app serves, as FastAPI resolved it (prefixes and included dependencies applied)."""
    return [route for route in iter_route_contexts(app.routes) if isinstance(route.original_route, APIRoute)]


def shape(route: Any) -> dict[str, Any]:
    """What a client of a route sees and what guards it, apart from its path."""
    return {
        "endpoint": route.endpoint,
        "methods": route.methods,
        "status_code": route.status_code,
        "response_model": route.response_model,
        "responses": route.responses,
        "dependencies": [depends.dependency for depends in route.dependencies],
        "max_body_size": route.max_body_size,
    }


@pytest.mark.parametrize("service", ALIASES)
def test_every_alias_is_its_original_route_again_and_only_the_original_is_documented(
    apps: dict[str, FastAPI], service: str
) -> None:
    routes = api_routes(apps[service])
    documented = {(route.path, frozenset(route.methods)): route for route in routes if route.include_in_schema}
    hidden = [route for route in routes if not route.include_in_schema and route.path not in FASTAPI_DOCS]
    assert {route.path for route in hidden} == ALIASES[service]
    for alias in hidden:
        original = documented[(ORIGINAL_OF[service](alias.path), frozenset(alias.methods))]
        assert shape(alias) == shape(original), alias.path


@pytest.mark.parametrize("service", ALIASES)
def test_every_route_documents_the_401_and_403_its_guards_answer(apps: dict[str, FastAPI], service: str) -> None:
    for route in api_routes(apps[service]):
        guarded = auth_responses(route.path, route.endpoint, route.dependencies)
        assert set(guarded) <= set(route.responses), f"{route.methods} {route.path} documents {set(route.responses)}"


@pytest.mark.parametrize(
    ("service", "method", "path", "statuses"),
    [
        ("products", "get", "/api/products", {"401"}),
        ("products", "delete", "/api/products/{product_id}", {"401", "403"}),
        ("products", "post", "/api/products", {"401", "403"}),
        ("products", "get", "/api/cart", {"401", "403"}),
        ("inventory", "get", "/api/inventory", {"401"}),
        ("inventory", "put", "/api/inventory/{product_id}", {"401", "403"}),
        ("inventory", "post", "/api/inventory/reservations", {"401", "403"}),
        ("auth", "post", "/register", {"401"}),
        ("auth", "get", "/me", {"401", "403"}),
        ("auth", "get", "/.well-known/jwks.json", {"401"}),
    ],
)
def test_role_guarded_routes_document_401_and_403_public_ones_401_only(
    apps: dict[str, FastAPI], service: str, method: str, path: str, statuses: set[str]
) -> None:
    responses = apps[service].openapi()["paths"][path][method]["responses"]
    assert {status for status in responses if status in ("401", "403")} == statuses
    for status in statuses:
        assert responses[status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorEnvelope"
        }


def test_the_client_credentials_grant_documents_its_own_401(apps: dict[str, FastAPI]) -> None:
    responses = apps["auth"].openapi()["paths"]["/token"]["post"]["responses"]
    assert responses["401"]["description"] == "Unknown client or wrong secret"


def _sync_calls(dependant: Dependant) -> set[str]:
    """Names of the plain `def` callables in a route's dependency tree (FastAPI runs each in a thread)."""
    found = set()
    for sub in dependant.dependencies:
        call = sub.call
        target = call if inspect.isroutine(call) else getattr(call, "__call__", None)  # noqa: B004 (instances)
        if call is not None and not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)):
            found.add(getattr(call, "__qualname__", repr(call)))
        found |= _sync_calls(sub)
    return found


@pytest.mark.parametrize("service", ALIASES)
def test_no_route_or_dependency_hops_to_the_thread_pool(apps: dict[str, FastAPI], service: str) -> None:
    # A sync dependency costs a thread hand-off on every request (it was 8 % of a catalog page's CPU).
    for route in api_routes(apps[service]):
        assert inspect.iscoroutinefunction(route.endpoint), f"{route.path}: sync endpoint"
        assert _sync_calls(route.original_route.dependant) == set(), route.path


def listings(app: FastAPI) -> dict[str, int]:
    """Path of every GET that takes `page_size` → the largest page it documents."""
    found = {}
    for path, operations in app.openapi()["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            if parameter["name"] == "page_size":
                found[path] = parameter["schema"]["maximum"]
    return found


def test_every_listing_takes_the_one_maximum_page_size(apps: dict[str, FastAPI]) -> None:
    found = {
        f"{service} {path}": maximum
        for service in ("products", "inventory")
        for path, maximum in listings(apps[service]).items()
    }
    assert found == {
        "products /api/products": MAX_PAGE_SIZE,
        "products /api/orders": MAX_PAGE_SIZE,
        "products /api/admin/orders": MAX_PAGE_SIZE,
        "inventory /api/inventory/{product_id}/movements": MAX_PAGE_SIZE,
        "inventory /api/inventory": MAX_PAGE_SIZE,
    }


@pytest.fixture(scope="module")
async def clients(
    database_url: str, tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    apps = build_apps(database_url, tokens, tmp_path_factory.mktemp("media"))
    async with app_client(apps["products"]) as products, app_client(apps["inventory"]) as inventory:
        yield {"products": products, "inventory": inventory}


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("products", "/api/products"),
        ("products", "/products"),
        ("products", "/api/orders"),
        ("products", "/api/admin/orders"),
        ("inventory", "/api/inventory"),
        ("inventory", "/inventory"),
        ("inventory", "/api/inventory/1/movements"),
        ("inventory", "/inventory/1/movements"),
    ],
)
async def test_a_page_over_the_maximum_is_a_422_naming_page_size(
    clients: dict[str, httpx.AsyncClient], tokens: TokenFactory, service: str, path: str
) -> None:
    maximum = MAX_PAGE_SIZE
    client, admin = clients[service], bearer(tokens.admin(1))
    assert (await client.get(path, params={"page_size": maximum}, headers=admin)).status_code == 200
    response = await client.get(path, params={"page_size": maximum + 1}, headers=admin)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["query", "page_size"]
