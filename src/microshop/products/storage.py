"""Where product images live: a small interface, and the local media folder behind it.

An object store can replace `LocalMediaStorage` by implementing `MediaStorage`. File changes follow
the request's database transaction: a new file is removed if the transaction rolls back, a replaced
or archived product's old file only once the change is committed.
"""

import os
import re
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Protocol

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from microshop.products.config import ProductsSettings

log = structlog.get_logger(__name__)

# Names this service generates; anything else is never opened or deleted.
KEY_PATTERN = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|webp)$")


class MediaStorage(Protocol):
    """Stores image bytes under generated keys and says where clients fetch them."""

    def save(self, data: bytes, *, extension: str) -> str:
        """Store bytes under a new generated key (blocking: call it off the event loop)."""
        ...

    def delete(self, key: str) -> None:
        """Remove a stored file; a missing one is fine."""
        ...

    def url_for(self, key: str) -> str: ...

    def key_for_url(self, url: str | None) -> str | None:
        """The key behind a URL this storage produced, or None."""
        ...


class LocalMediaStorage:
    """Files in one folder, served by the service itself under `url_prefix`."""

    def __init__(self, root: Path, url_prefix: str) -> None:
        self.root = Path(root)
        self.url_prefix = url_prefix.rstrip("/")

    def save(self, data: bytes, *, extension: str) -> str:
        key = f"{uuid.uuid4().hex}.{extension}"
        assert KEY_PATTERN.match(key), key
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.root / key)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def delete(self, key: str) -> None:
        if KEY_PATTERN.match(key):
            (self.root / key).unlink(missing_ok=True)

    def url_for(self, key: str) -> str:
        return f"{self.url_prefix}/{key}"

    def key_for_url(self, url: str | None) -> str | None:
        if not url or not url.startswith(f"{self.url_prefix}/"):
            return None
        key = url[len(self.url_prefix) + 1 :]
        return key if KEY_PATTERN.match(key) else None


def _safe_delete(storage: MediaStorage, key: str) -> None:
    try:
        storage.delete(key)
    except OSError as exc:  # a leftover file is not worth failing a committed change
        log.warning("media_delete_failed", key=key, error=str(exc))


def discard_on_rollback(session: AsyncSession, storage: MediaStorage, key: str) -> None:
    """Remove the new file `key` if this session's transaction is rolled back instead of committed."""
    committed = False

    def on_commit(_: Session) -> None:
        nonlocal committed
        committed = True

    def on_rollback(_: Session, __: object) -> None:
        if not committed:
            _safe_delete(storage, key)

    event.listen(session.sync_session, "after_commit", on_commit, once=True)
    event.listen(session.sync_session, "after_soft_rollback", on_rollback, once=True)


def delete_after_commit(session: AsyncSession, storage: MediaStorage, key: str | None) -> None:
    """Remove the old file `key` once this session's transaction commits (never before)."""
    if key is None:
        return

    def on_commit(_: Session) -> None:
        _safe_delete(storage, key)

    event.listen(session.sync_session, "after_commit", on_commit, once=True)


@asynccontextmanager
async def media_storage_hook(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan hook: the media folder exists and the storage is on `app.state`."""
    settings: ProductsSettings = app.state.settings
    storage = LocalMediaStorage(settings.media_dir, settings.media_url_prefix)
    storage.root.mkdir(parents=True, exist_ok=True)
    app.state.media_storage = storage
    yield


def mount_media(app: FastAPI, settings: ProductsSettings) -> None:
    """Serve stored images at the media URL prefix (when it is a path on this service)."""
    if settings.media_url_prefix.startswith("/"):
        static = StaticFiles(directory=settings.media_dir, check_dir=False)
        app.mount(settings.media_url_prefix.rstrip("/"), static, name="media")


async def get_media_storage(request: Request) -> MediaStorage:
    return request.app.state.media_storage


MediaStorageDep = Annotated[MediaStorage, Depends(get_media_storage)]
