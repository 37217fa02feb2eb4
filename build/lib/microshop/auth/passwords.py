"""bcrypt hashing, always in a worker thread so a login never stalls the event loop."""

import base64
import functools
import hashlib
import hmac

import bcrypt
from anyio import to_thread


def _prehash(password: str) -> bytes:
    """SHA-256 first: bcrypt only reads 72 bytes (and bcrypt 5 refuses more), passwords may be 128 characters."""
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def _hash(password: str, rounds: int) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode()


def _check(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), hashed.encode())
    except ValueError:
        return False


@functools.cache
def _dummy_hash(rounds: int) -> str:
    return _hash("not-a-password-anyone-has", rounds)


async def hash_password(password: str, *, rounds: int) -> str:
    """A bcrypt hash at the configured cost."""
    return await to_thread.run_sync(_hash, password, rounds)


async def verify_password(password: str, hashed: str | None, *, rounds: int) -> bool:
    """Check a password; with no hash (unknown account) spend the same time on a dummy one."""
    if hashed is None:
        await to_thread.run_sync(_check, password, await to_thread.run_sync(_dummy_hash, rounds))
        return False
    return await to_thread.run_sync(_check, password, hashed)


def needs_rehash(hashed: str, *, rounds: int) -> bool:
    """A hash made at another cost than the configured one."""
    parts = hashed.split("$")
    return len(parts) < 4 or not hmac.compare_digest(parts[2], f"{rounds:02d}")
