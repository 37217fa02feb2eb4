"""bcrypt hashing, always in a worker thread so a login never stalls the event loop.

The threads run at a lower CPU priority than the requests: a hash is a quarter-second of CPU, and on
a busy machine it would otherwise take a core from the pages being served (a login waits a little
longer instead; on an idle machine nothing changes).
"""

import asyncio
import base64
import contextlib
import functools
import hashlib
import hmac
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import bcrypt

T = TypeVar("T")

NICENESS = 10  # added to the process's; Linux gives such a thread about a tenth of a normal one's share


def _below_requests() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not permitted, or no per-thread priority: as the process
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)


_HASHING = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="bcrypt", initializer=_below_requests)


async def _in_hashing_thread(function: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, functools.partial(function, *args))


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
    return await _in_hashing_thread(_hash, password, rounds)


async def verify_password(password: str, hashed: str | None, *, rounds: int) -> bool:
    """Check a password; with no hash (unknown account) spend the same time on a dummy one."""
    if hashed is None:
        await _in_hashing_thread(_check, password, await _in_hashing_thread(_dummy_hash, rounds))
        return False
    return await _in_hashing_thread(_check, password, hashed)


def needs_rehash(hashed: str, *, rounds: int) -> bool:
    """A hash made at another cost than the configured one."""
    parts = hashed.split("$")
    return len(parts) < 4 or not hmac.compare_digest(parts[2], f"{rounds:02d}")
