"""Catalog routes: /api/products, and /products as aliases."""

from typing import Any

from fastapi import APIRouter, Depends, status

from microshop.common.db import ReadDatabaseDep, SessionDep
from microshop.common.errors import Responses, error_response_schema
from microshop.common.pagination import Page
from microshop.common.routing import AuthDocumentedRoute, with_aliases
from microshop.common.security import AdminUser, require_admin
from microshop.products.catalog import service
from microshop.products.catalog.dependencies import (
    FeatureFilters,
    ListingQuery,
    ProductCreateInput,
    ProductIdPath,
    ProductUpdateInput,
)
from microshop.products.catalog.schemas import ProductCreate, ProductRead, ProductUpdate
from microshop.products.dependencies import SettingsDep
from microshop.products.inventory_client import InventoryDep
from microshop.products.stock.dependencies import stock_lag_header
from microshop.products.storage import MediaStorageDep

_BAD_INPUT: Responses = {
    422: error_response_schema("Invalid input or image"),
    413: error_response_schema("Image too large"),
    415: error_response_schema("Body is neither JSON nor a form"),
}
_NOT_FOUND: Responses = {404: error_response_schema("Unknown or archived product")}
_INVENTORY: Responses = {503: error_response_schema("Inventory unavailable: nothing was changed")}


def _form_schema(*, required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 255},
            "price": {"type": "string", "pattern": r"^\d{1,8}(\.\d{1,2})?$", "examples": ["1500"]},
            "description": {"type": "string", "maxLength": 5000},
            "stock": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
            "features": {"type": "string", "description": "A JSON object", "examples": ['{"gpu": "RTX 3060"}']},
            "image": {"type": "string", "format": "binary", "description": "JPEG, PNG or WebP"},
        },
    }


def _body(model: type[ProductCreate] | type[ProductUpdate], *, required: list[str]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": model.model_json_schema()},
                "multipart/form-data": {"schema": _form_schema(required=required)},
            },
        }
    }


routes = APIRouter(route_class=AuthDocumentedRoute, tags=["catalog"])
# Writes that take a product body (JSON, or a form with an image): the admin check is a route-level
# dependency, so an anonymous caller is refused before the form is parsed or an image decoded,
# and only these routes accept bodies up to `MAX_IMAGE_BYTES` (see products/app.py).
uploads = APIRouter(route_class=AuthDocumentedRoute, tags=["catalog"], dependencies=[Depends(require_admin)])


@routes.get("", dependencies=[Depends(stock_lag_header)])
async def list_products(
    database: ReadDatabaseDep, query: ListingQuery, features: FeatureFilters, settings: SettingsDep
) -> Page[ProductRead]:
    """List products: search `q`, price range, `in_stock`, sort, `feature.<key>=<value>` filters; with stock."""
    return await service.list_products(
        database=database, query=query, features=features, currency=settings.shop_currency
    )


@routes.get("/{product_id}", responses=_NOT_FOUND, dependencies=[Depends(stock_lag_header)])
async def get_product(product_id: ProductIdPath, database: ReadDatabaseDep, settings: SettingsDep) -> ProductRead:
    """One product with its stock."""
    return await service.get_product(database=database, product_id=product_id, currency=settings.shop_currency)


@uploads.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**_BAD_INPUT, **_INVENTORY},
    openapi_extra=_body(ProductCreate, required=["name", "price"]),
)
async def create_product(
    body: ProductCreateInput,
    admin: AdminUser,
    session: SessionDep,
    inventory: InventoryDep,
    storage: MediaStorageDep,
    settings: SettingsDep,
) -> ProductRead:
    """Create a product (JSON, or a multipart form with an `image`); `stock` sets its inventory."""
    return await service.create_product(
        session=session,
        inventory=inventory,
        storage=storage,
        data=body.data,
        image=body.image,
        actor=admin,
        currency=settings.shop_currency,
    )


async def _update(
    product_id: int,
    body: ProductUpdateInput,
    admin: AdminUser,
    session: SessionDep,
    inventory: InventoryDep,
    storage: MediaStorageDep,
    settings: SettingsDep,
) -> ProductRead:
    return await service.update_product(
        session=session,
        inventory=inventory,
        storage=storage,
        product_id=product_id,
        data=body.data,
        image=body.image,
        actor=admin,
        currency=settings.shop_currency,
    )


_UPDATE_RESPONSES: Responses = {**_NOT_FOUND, **_BAD_INPUT, **_INVENTORY}


@uploads.post("/{product_id}", responses=_UPDATE_RESPONSES, openapi_extra=_body(ProductUpdate, required=[]))
async def update_product_form(
    product_id: ProductIdPath,
    body: ProductUpdateInput,
    admin: AdminUser,
    session: SessionDep,
    inventory: InventoryDep,
    storage: MediaStorageDep,
    settings: SettingsDep,
) -> ProductRead:
    """Update a product (the seed's multipart form; JSON accepted too); only the fields sent change."""
    return await _update(product_id, body, admin, session, inventory, storage, settings)


@uploads.put("/{product_id}", responses=_UPDATE_RESPONSES, openapi_extra=_body(ProductUpdate, required=[]))
async def update_product(
    product_id: ProductIdPath,
    body: ProductUpdateInput,
    admin: AdminUser,
    session: SessionDep,
    inventory: InventoryDep,
    storage: MediaStorageDep,
    settings: SettingsDep,
) -> ProductRead:
    """Update a product (JSON; a multipart form is accepted too); only the fields sent change."""
    return await _update(product_id, body, admin, session, inventory, storage, settings)


@routes.delete(
    "/{product_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=_NOT_FOUND,
    dependencies=[Depends(require_admin)],
)
async def archive_product(
    product_id: ProductIdPath, admin: AdminUser, session: SessionDep, storage: MediaStorageDep
) -> None:
    """Archive a product: gone from the catalog, kept for order history; its image is removed."""
    await service.archive_product(session=session, storage=storage, product_id=product_id)


router = with_aliases(routes, prefix="/api/products", alias_prefix="/products")
upload_router = with_aliases(uploads, prefix="/api/products", alias_prefix="/products")
