"""Product images: accepted by content only, limited, stripped of metadata, stored under generated names."""

import functools
import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from microshop.products.images import ImageTooLarge, InvalidImage, prepare_image
from microshop.products.storage import LocalMediaStorage
from tests.products.catalog.support import Catalog, image_bytes

LIMITS = {"max_bytes": 5 * 1024 * 1024, "max_pixels": 25_000_000}


@functools.cache
def png_of_size(width: int, height: int) -> bytes:
    """A valid grayscale PNG of any size, built directly (a 50-megapixel one is a few KB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"\x00" * ((width + 1) * height), 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # Orientation: rotated 90°
    return image_bytes("JPEG", (40, 20), exif=exif.tobytes())


class TestPrepareImage:
    def test_jpeg_loses_exif_and_is_turned_upright(self) -> None:
        prepared = prepare_image(jpeg_with_exif(), **LIMITS)
        image = Image.open(io.BytesIO(prepared.data))
        assert (prepared.extension, prepared.content_type) == ("jpg", "image/jpeg")
        assert image.format == "JPEG"
        assert image.size == (20, 40)
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info

    def test_png_loses_text_chunks(self) -> None:
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "secret location")
        prepared = prepare_image(image_bytes("PNG", pnginfo=info), **LIMITS)
        assert b"secret location" not in prepared.data
        assert Image.open(io.BytesIO(prepared.data)).format == "PNG"

    def test_webp_is_accepted(self) -> None:
        prepared = prepare_image(image_bytes("WEBP"), **LIMITS)
        assert (prepared.extension, Image.open(io.BytesIO(prepared.data)).format) == ("webp", "WEBP")

    @pytest.mark.parametrize(
        "data",
        [b"just some text, named photo.jpg", image_bytes("GIF"), image_bytes("BMP"), image_bytes("PNG")[:40]],
    )
    def test_anything_else_is_invalid(self, data: bytes) -> None:
        with pytest.raises(InvalidImage):
            prepare_image(data, **LIMITS)

    def test_decompression_bomb_is_refused_before_decoding(self) -> None:
        with pytest.raises(InvalidImage) as error:
            prepare_image(png_of_size(7100, 7100), **LIMITS)
        assert error.value.code == "image_too_many_pixels"

    def test_too_many_bytes(self) -> None:
        with pytest.raises(ImageTooLarge):
            prepare_image(b"\x00" * 101, max_bytes=100, max_pixels=100)


class TestLocalStorage:
    def test_generated_keys_only(self, tmp_path: Path) -> None:
        storage = LocalMediaStorage(tmp_path, "/media")
        key = storage.save(b"abc", extension="png")
        assert storage.url_for(key) == f"/media/{key}"
        assert storage.key_for_url(f"/media/{key}") == key
        assert storage.key_for_url("/media/../../etc/passwd") is None
        assert storage.key_for_url("https://elsewhere/x.png") is None
        storage.delete("../outside.png")  # not a generated key: ignored
        storage.delete(key)
        assert list(tmp_path.iterdir()) == []


def upload(data: bytes, name: str = "photo.png", content_type: str = "image/png") -> dict[str, Any]:
    return {"name": (None, "Pic"), "price": (None, "9.99"), "image": (name, data, content_type)}


class TestUploads:
    async def test_create_with_image_stores_and_serves_a_generated_file(self, catalog: Catalog) -> None:
        response = await catalog.client.post("/api/products", headers=catalog.admin(), files=upload(image_bytes("PNG")))
        assert response.status_code == 201, response.text
        image_url = response.json()["image_url"]
        key = image_url.removeprefix("/media/")
        assert key in catalog.stored_files()
        assert key != "photo.png" and key.endswith(".png")
        served = await catalog.client.get(image_url)
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(served.content)).size == (8, 6)

    @pytest.mark.parametrize(
        ("data", "name", "status"),
        [
            (b"I am text, not a JPEG", "photo.jpg", 422),
            (png_of_size(7100, 7100), "huge.png", 422),
            (image_bytes("PNG") + b"\x00" * (6 * 1024 * 1024), "six-megabytes.png", 413),
            (image_bytes("PNG"), "../../etc/passwd.png", 422),
        ],
        ids=["text-renamed-jpg", "50-megapixel-png", "6-mb-file", "path-as-name"],
    )
    async def test_bad_uploads_are_4xx_and_nothing_is_stored(
        self, catalog: Catalog, data: bytes, name: str, status: int
    ) -> None:
        before = await catalog.client.get("/api/products")
        response = await catalog.client.post("/api/products", headers=catalog.admin(), files=upload(data, name))
        assert response.status_code == status, response.text
        assert "error" in response.json()
        assert catalog.stored_files() == [
            url.removeprefix("/media/") for url in await image_urls(catalog)
        ]  # only the images of products that exist
        after = await catalog.client.get("/api/products")
        assert after.json()["total"] == before.json()["total"]
        assert not Path("/etc/passwd.png").exists()

    async def test_replacing_the_image_removes_the_old_file(self, catalog: Catalog) -> None:
        created = await catalog.client.post("/api/products", headers=catalog.admin(), files=upload(image_bytes("PNG")))
        product = created.json()
        old_key = product["image_url"].removeprefix("/media/")
        updated = await catalog.client.post(
            f"/api/products/{product['id']}",
            headers=catalog.admin(),
            files={"image": ("new.webp", image_bytes("WEBP"), "image/webp")},
        )
        assert updated.status_code == 200, updated.text
        new_key = updated.json()["image_url"].removeprefix("/media/")
        assert new_key.endswith(".webp")
        assert new_key in catalog.stored_files()
        assert old_key not in catalog.stored_files()
        assert (await catalog.client.get(f"/media/{old_key}")).status_code == 404

    async def test_a_bad_replacement_keeps_the_old_image(self, catalog: Catalog) -> None:
        created = await catalog.client.post("/api/products", headers=catalog.admin(), files=upload(image_bytes("PNG")))
        product = created.json()
        response = await catalog.client.post(
            f"/api/products/{product['id']}", headers=catalog.admin(), files={"image": ("x.png", b"text", "image/png")}
        )
        assert response.status_code == 422
        assert (await catalog.client.get(product["image_url"])).status_code == 200

    async def test_archiving_removes_the_file(self, catalog: Catalog) -> None:
        created = await catalog.client.post("/api/products", headers=catalog.admin(), files=upload(image_bytes("JPEG")))
        key = created.json()["image_url"].removeprefix("/media/")
        assert key in catalog.stored_files()
        deleted = await catalog.client.delete(f"/api/products/{created.json()['id']}", headers=catalog.admin())
        assert deleted.status_code == 204
        assert key not in catalog.stored_files()

    async def test_unknown_media_is_404_json(self, catalog: Catalog) -> None:
        response = await catalog.client.get("/media/../../etc/passwd")
        assert response.status_code == 404
        assert (await catalog.client.get("/media/0123456789abcdef0123456789abcdef.png")).status_code == 404


async def image_urls(catalog: Catalog) -> list[str]:
    page = await catalog.client.get("/api/products", params={"page_size": 100})
    return sorted(item["image_url"] for item in page.json()["items"] if item["image_url"])
