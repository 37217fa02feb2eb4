"""Six-digit one-time codes: random, stored hashed, expiring, with a bounded number of tries."""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.codes import repository
from microshop.auth.config import AuthSettings
from microshop.common.errors import AppError, BadRequest, TooManyRequests


class InvalidCode(BadRequest):
    code = "invalid_code"


class ExpiredCode(AppError):
    status_code, code = 400, "code_expired"


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def hash_code(code: str) -> str:
    salt = secrets.token_hex(8)
    return f"{salt}${_digest(salt, code)}"


def matches(code: str, stored: str) -> bool:
    salt, _, digest = stored.partition("$")
    return hmac.compare_digest(_digest(salt, code), digest)


async def issue(session: AsyncSession, *, settings: AuthSettings, user_id: int, purpose: str) -> str:
    """A new code for this user and purpose (the old one dies); returns it in clear to be sent."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = datetime.now(UTC)
    await repository.replace(
        session,
        user_id=user_id,
        purpose=purpose,
        code_hash=hash_code(code),
        now=now,
        expires_at=now + timedelta(minutes=settings.code_ttl_minutes),
    )
    return code


async def consume(session: AsyncSession, *, settings: AuthSettings, user_id: int, purpose: str, code: str) -> None:
    """Accept the right live code once; count wrong tries, and refuse all after the last allowed one."""
    stored = await repository.get_for_update(session, user_id=user_id, purpose=purpose)
    if stored is None:
        raise InvalidCode("Invalid code")
    if stored.attempts >= settings.code_max_attempts:
        raise TooManyRequests(
            "Too many wrong codes: ask for a new one",
            code="too_many_attempts",
            retry_after=settings.resend_interval_seconds,
        )
    if stored.expires_at <= datetime.now(UTC):
        raise ExpiredCode("The code has expired: ask for a new one")
    if not matches(code, stored.code_hash):
        await repository.count_attempt(session, stored.id)
        # The wrong try must count although this request fails (the session dependency rolls back).
        await session.commit()
        raise InvalidCode("Invalid code")
    await repository.remove(session, stored.id)
