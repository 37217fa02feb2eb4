"""Image uploads: authorization before the form is parsed, bounded decoding, and body caps per route."""

import asyncio
import functools
import io
import os
import threading
import time
from typing import Any

import pytest
from PIL import Image

from microshop.products import images
from tests.products.catalog.support import Catalog

WRITES = [("POST", "/api/products"), ("PUT", "/api/products/1"), ("POST", "/api/products/1"), ("POST", "/products")]


@functools.cache
def webp_5000x5000() -> bytes:
    """44 KB on the wire, 25 megapixels (about 100 MB) once decoded."""
    out = io.BytesIO()
    Image.new("RGB", (5000, 5000), (200, 30, 30)).save(out, format="WEBP", quality=10)
    return out.getvalue()


def big_form() -> dict[str, Any]:
    return {"data": {"name": "Huge", "price": "1"}, "files": {"image": ("huge.webp", webp_5000x5000(), "image/webp")}}


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every image decode, by pixel count of the upload (the real decoder still runs)."""
    seen: list[int] = []
    real = images.prepare_image

    def spy(data: bytes, **limits: int) -> images.PreparedImage:
        seen.append(len(data))
        return real(data, **limits)

    monkeypatch.setattr(images, "prepare_image", spy)
    return seen


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_an_anonymous_upload_is_refused_before_the_image_is_decoded(
    catalog: Catalog, decodes: list[int], method: str, path: str
) -> None:
    response = await catalog.client.request(method, path, **big_form())
    assert response.status_code == 401, response.text
    assert decodes == []


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_a_shopper_upload_is_refused_before_the_image_is_decoded(
    catalog: Catalog, decodes: list[int], method: str, path: str
) -> None:
    response = await catalog.client.request(method, path, headers=catalog.user(), **big_form())
    assert response.status_code == 403, response.text
    assert decodes == []


async def test_25_megapixels_is_over_the_default_cap(catalog: Catalog) -> None:
    assert catalog.settings.max_image_pixels <= 16_000_000
    response = await catalog.client.post("/api/products", headers=catalog.admin(), **big_form())
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "image_too_many_pixels"


async def test_at_most_the_configured_number_of_images_decode_at_once(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, most = 0, 0
    lock = threading.Lock()
    real = images.prepare_image

    def slow(data: bytes, **limits: int) -> images.PreparedImage:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)  # long enough for every upload to be waiting at once
        with lock:
            running -= 1
        return real(data, **limits)

    monkeypatch.setattr(images, "prepare_image", slow)
    uploads = [
        catalog.client.post(
            "/api/products",
            headers=catalog.admin(),
            data={"name": f"Parallel {n}", "price": "1"},
            files={"image": ("p.png", _png(), "image/png")},
        )
        for n in range(5)
    ]
    answers = await asyncio.gather(*uploads)
    assert [answer.status_code for answer in answers] == [201] * 5
    assert most == catalog.settings.image_decode_concurrency == 2


def _png(size: tuple[int, int] = (8, 6), noise: bool = False) -> bytes:
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise else Image.new("RGB", size)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def test_a_json_body_over_max_body_bytes_is_413_on_the_cart(catalog: Catalog) -> None:
    body = b'{"product_id": 1, "quantity": 1, "padding": "' + b"x" * (catalog.settings.max_body_bytes + 1) + b'"}'
    response = await catalog.client.post(
        "/api/cart", content=body, headers={**catalog.user(), "Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_an_upload_route_still_takes_an_image_larger_than_max_body_bytes(catalog: Catalog) -> None:
    image = _png((600, 600), noise=True)
    assert len(image) > catalog.settings.max_body_bytes
    response = await catalog.client.post(
        "/api/products",
        headers=catalog.admin(),
        data={"name": "Noise", "price": "1"},
        files={"image": ("noise.png", image, "image/png")},
    )
    assert response.status_code == 201, response.text
