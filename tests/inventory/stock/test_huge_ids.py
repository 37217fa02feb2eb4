"""Integers a client writes with thousands of digits are a 422 naming the field, never a 500.

Python's `int()` refuses more than 4,300 digits with a ValueError; ids are bounded by their digits
before they are converted.
"""

import httpx
import pytest

HUGE = "9" * 5000


@pytest.mark.parametrize("value", [HUGE, str(2**63), "0"])
async def test_a_batch_id_out_of_range_is_422(client: httpx.AsyncClient, admin: dict[str, str], value: str) -> None:
    response = await client.get("/api/inventory", params={"product_ids": f"1,{value}"}, headers=admin)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["query", "product_ids"]


async def test_a_huge_on_behalf_of_header_is_422_and_writes_nothing(
    client: httpx.AsyncClient, service: dict[str, str], admin: dict[str, str], product_id: int
) -> None:
    headers = {**service, "X-On-Behalf-Of": HUGE}
    response = await client.post("/api/inventory", json={"product_id": product_id, "stock": 5}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["loc"] == ["header", "X-On-Behalf-Of"]
    assert (await client.get(f"/api/inventory/{product_id}", headers=admin)).status_code == 404  # no row made


@pytest.mark.parametrize("path", [f"/api/inventory/{HUGE}", f"/api/inventory/{HUGE}/movements"])
async def test_a_huge_path_id_is_422(client: httpx.AsyncClient, admin: dict[str, str], path: str) -> None:
    response = await client.get(path, headers=admin)
    assert response.status_code == 422, response.text
