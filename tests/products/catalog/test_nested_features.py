"""Deeply nested `features` are a 422 on both the JSON and the form path, never a RecursionError."""

import json

import pytest

from tests.products.catalog.support import Catalog

DEEP = "[" * 100_000
NAME = "Nested"


async def _nothing_created(catalog: Catalog) -> bool:
    listing = await catalog.client.get("/api/products", params={"q": NAME})
    return listing.json()["total"] == 0


@pytest.mark.parametrize("features", [DEEP, "[" * 2000 + "]" * 2000, json.dumps({"a": [[[[[[1]]]]]]})])
async def test_nested_features_in_a_form_are_422(catalog: Catalog, features: str) -> None:
    response = await catalog.client.post(
        "/api/products", data={"name": NAME, "price": "5", "features": features}, headers=catalog.admin()
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["loc"] == ["body", "features"]
    assert await _nothing_created(catalog)


async def test_a_deeply_nested_json_body_is_4xx(catalog: Catalog) -> None:
    body = '{"name": "' + NAME + '", "price": "5", "features": ' + "[" * 2000 + "]" * 2000 + "}"
    response = await catalog.client.post(
        "/api/products", content=body, headers={**catalog.admin(), "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert await _nothing_created(catalog)
