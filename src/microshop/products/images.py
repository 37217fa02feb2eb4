"""Product images: checked by content, size- and pixel-limited, stripped of metadata, re-encoded.

Nothing of the upload is trusted: not its name, not its declared type. What is stored is a fresh
encoding of the decoded pixels, under a name this service generates.
"""

import asyncio
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.datastructures import UploadFile

from microshop.common.errors import AppError
from microshop.products.storage import MediaStorage

# Pillow format → (file extension, content type, save options)
FORMATS: dict[str, tuple[str, str, dict[str, object]]] = {
    "JPEG": ("jpg", "image/jpeg", {"quality": 85, "optimize": True}),
    "PNG": ("png", "image/png", {"optimize": True}),
    "WEBP": ("webp", "image/webp", {"quality": 85}),
}
SAVE_MODES = {"JPEG": ("RGB", "L"), "PNG": ("RGB", "RGBA", "L", "LA", "P", "1"), "WEBP": ("RGB", "RGBA")}
READ_CHUNK = 256 * 1024


class ImageTooLarge(AppError):
    status_code, code = 413, "image_too_large"


class InvalidImage(AppError):
    status_code, code = 422, "invalid_image"


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int


def prepare_image(data: bytes, *, max_bytes: int, max_pixels: int) -> PreparedImage:
    """Decode a JPEG/PNG/WebP (by content), enforce the limits, and re-encode it without metadata."""
    if len(data) > max_bytes:
        raise ImageTooLarge(f"Image is larger than {max_bytes} bytes")
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as original:
            image_format = original.format or ""
            width, height = original.size
            if width * height > max_pixels:  # checked from the header, before decoding a single pixel
                raise InvalidImage(
                    f"Image has {width}x{height} pixels; at most {max_pixels} pixels are accepted",
                    code="image_too_many_pixels",
                )
            original.load()
            clean = ImageOps.exif_transpose(original)
    except AppError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise InvalidImage("The file is not a JPEG, PNG or WebP image") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise InvalidImage("The image is damaged or truncated") from None
    return _encode(clean, image_format)


def _encode(image: Image.Image, image_format: str) -> PreparedImage:
    extension, content_type, options = FORMATS[image_format]
    if image.mode not in SAVE_MODES[image_format]:
        has_alpha = "A" in image.mode or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha and image_format != "JPEG" else "RGB")
    image.info = {}  # no EXIF, ICC, XMP or text chunks carried over
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    return PreparedImage(out.getvalue(), extension, content_type, image.width, image.height)


def check_upload_name(upload: UploadFile) -> None:
    """The name is never used, but a client sending a path as one is refused outright."""
    name = upload.filename or ""
    if "/" in name or "\\" in name or ".." in name or "\x00" in name or len(name) > 255:
        raise InvalidImage("The image's file name must be a plain file name", code="invalid_file_name")


async def read_upload(upload: UploadFile, *, max_bytes: int) -> bytes:
    """The upload's bytes, reading at most one byte past the limit."""
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = await upload.read(min(READ_CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise ImageTooLarge(f"Image is larger than {max_bytes} bytes")
    return b"".join(chunks)


async def process_upload(
    upload: UploadFile, *, max_bytes: int, max_pixels: int, decode_slots: asyncio.Semaphore
) -> PreparedImage:
    """Validate and re-encode an uploaded image in a worker thread, at most `decode_slots` at once."""
    check_upload_name(upload)
    data = await read_upload(upload, max_bytes=max_bytes)
    if not data:
        raise InvalidImage("The image file is empty")
    async with decode_slots:
        return await asyncio.to_thread(prepare_image, data, max_bytes=max_bytes, max_pixels=max_pixels)


async def store_image(storage: MediaStorage, image: PreparedImage) -> str:
    """Store a prepared image; returns its key."""
    return await asyncio.to_thread(storage.save, image.data, extension=image.extension)
