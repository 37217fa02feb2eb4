"""Six-digit one-time codes: random, stored hashed, expiring, with a bounded number of tries."""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.codes import repository
from microshop.auth.codes.models import OneTimeCode
from microshop.auth.config import AuthSettings
from microshop.auth.email import Outbox
from microshop.auth.ratelimit import service as ratelimit
from microshop.auth.validation import email_key
from microshop.common.db import own_transaction
from microshop.common.errors import BadRequest


class InvalidCode(BadRequest):
    code = "invalid_code"


TOO_MANY_WRONG = "Too many wrong codes for this account: try again later"


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def hash_code(code: str) -> str:
    salt = secrets.token_hex(8)
    return f"{salt}${_digest(salt, code)}"


def matches(code: str, *, stored: str) -> bool:
    salt, _, digest = stored.partition("$")
    return hmac.compare_digest(_digest(salt, code), digest)


async def issue(session: AsyncSession, *, settings: AuthSettings, user_id: int, purpose: str) -> str:
    """A new code for this user and purpose (the previous one stays valid until it expires); returns it in clear."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = datetime.now(UTC)
    await repository.replace(
        session,
        user_id=user_id,
        purpose=purpose,
        code_hash=hash_code(code),
        now=now,
        expires_at=now + timedelta(minutes=settings.code_ttl_minutes),
        max_attempts=settings.code_max_attempts,
    )
    return code


def _matches(stored: OneTimeCode, code: str, *, now: datetime) -> bool:
    """The current code, or the previous one while it lives (a resend keeps it valid)."""
    if stored.expires_at > now and matches(code, stored=stored.code_hash):
        return True
    previous_live = stored.previous_expires_at is not None and stored.previous_expires_at > now
    return previous_live and stored.previous_code_hash is not None and matches(code, stored=stored.previous_code_hash)


async def consume(
    session: AsyncSession,
    *,
    settings: AuthSettings,
    outbox: Outbox,
    email: str,
    user_id: int | None,
    owner_email: str | None,
    purpose: str,
    code: str,
) -> None:
    """Accept a live code once. Every wrong, used-up or expired code, and any code for an unknown
    email, is the same 400 invalid_code and counts against the email's failure budget; once that is
    spent, every code for it is 429 too_many_attempts until the window passes (the owner is told once).
    Known and unknown emails thus answer the same sequence."""
    budget = f"code-failed:{purpose}:{email_key(email)}"
    window = settings.code_failure_window_seconds
    failures, started = (await ratelimit.current(session, keys=[budget], window_seconds=window)).get(budget, (0, None))
    if started is not None and failures >= settings.code_failures_per_account:
        raise ratelimit.refuse(started, window_seconds=window, message=TOO_MANY_WRONG, code="too_many_attempts")
    tried = None
    if user_id is not None:
        # The try is counted before the code is compared, in a transaction of its own: no answer
        # about a code is given for a try that is not counted, and concurrent tries are gated by
        # the UPDATE itself (attempts < max), whatever else the caller holds.
        async with own_transaction(session) as tries:
            tried = await repository.take_try(
                tries, user_id=user_id, purpose=purpose, max_attempts=settings.code_max_attempts
            )
    if (
        tried is not None
        and _matches(tried, code, now=datetime.now(UTC))
        and await repository.remove(session, tried.id)
    ):
        return
    counted = await ratelimit.count(session, keys=[budget], window_seconds=window)
    if counted[budget] == settings.code_failures_per_account and owner_email is not None:
        # Sent by a task of its own: the request goes on (and lets go of its locks) meanwhile, and
        # the notice still goes out although this request answers an error.
        outbox.mailer.send_in_background(outbox.mailer.send_budget_notice(to=owner_email, purpose=purpose))
    raise InvalidCode("Invalid or expired code: check it or ask for a new one")
