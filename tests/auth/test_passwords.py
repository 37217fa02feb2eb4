"""Password hashing: off the event loop, and below the requests' CPU priority."""

import os
import threading

from microshop.auth import passwords


def _niceness_here() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


async def test_hashes_run_in_threads_below_the_requests_priority() -> None:
    """A quarter-second of bcrypt must not take a core from the pages being served on a busy machine."""
    requests = _niceness_here()
    hashing = await passwords._in_hashing_thread(_niceness_here)
    assert hashing == min(requests + passwords.NICENESS, 19)


async def test_a_hash_made_there_verifies() -> None:
    hashed = await passwords.hash_password("correct horse battery staple", rounds=4)
    assert await passwords.verify_password("correct horse battery staple", hashed, rounds=4)
    assert not await passwords.verify_password("wrong", hashed, rounds=4)
    assert not await passwords.verify_password("wrong", None, rounds=4)
