"""Registration, verification by emailed code, password reset, the profile, and making admins."""

import re
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth import passwords
from microshop.auth.codes import service as codes
from microshop.auth.codes.models import PURPOSE_RESET, PURPOSE_VERIFY
from microshop.auth.config import AuthSettings
from microshop.auth.email import Outbox
from microshop.auth.ratelimit import service as ratelimit
from microshop.auth.tokens import service as tokens_service
from microshop.auth.users import repository
from microshop.auth.users.models import User
from microshop.auth.users.schemas import UserCreate
from microshop.auth.validation import email_key
from microshop.common.errors import Conflict, NotFound, TooManyRequests
from microshop.common.security import ROLE_ADMIN, ROLE_USER

TOO_MANY_REQUESTS = "Too many requests from this address: try again later"


class EmailTaken(Conflict):
    code = "email_taken"


class UsernameTaken(Conflict):
    code = "username_taken"


async def _limit_address(session: AsyncSession, *, settings: AuthSettings, address: str) -> None:
    await ratelimit.hit(
        session,
        limits={f"codes:address:{address}": settings.code_rate_limit_per_address},
        window_seconds=settings.login_rate_window_seconds,
        message=TOO_MANY_REQUESTS,
    )


async def _limit_sending(session: AsyncSession, *, settings: AuthSettings, purpose: str, email: str) -> None:
    """One code per interval per email, known or not, so the answer never tells whether an account exists."""
    await ratelimit.hit(
        session,
        limits={f"send:{purpose}:{email_key(email)}": 1},
        window_seconds=settings.resend_interval_seconds,
        message="A code was sent recently: wait before asking for another",
        code="resend_too_soon",
    )


def _raise_taken(existing: list[User], *, email: str, username: str) -> None:
    if any(user.email_normalized == email_key(email) for user in existing):
        raise EmailTaken("An account with this email already exists")
    if existing:
        raise UsernameTaken(f"The username {username!r} is taken")


async def register(
    session: AsyncSession, *, settings: AuthSettings, outbox: Outbox, data: UserCreate, address: str
) -> User:
    """Create an unverified user and email a code (sent after the commit; a failed send is not an error)."""
    await _limit_address(session, settings=settings, address=address)
    _raise_taken(await repository.find_taken(session, email=data.email, username=data.username), **_names(data))
    hashed = await passwords.hash_password(data.password, rounds=settings.bcrypt_rounds)
    is_admin = settings.admins_by_username and "admin" in data.username.lower()
    user = User(
        username=data.username,
        name=data.name,
        email=data.email,
        email_normalized=email_key(data.email),
        hashed_password=hashed,
        is_verified=False,
        role=ROLE_ADMIN if is_admin else ROLE_USER,
        created_at=datetime.now(UTC),
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        # Another registration with the same email or username committed in between.
        _raise_taken(await repository.find_taken(session, email=data.email, username=data.username), **_names(data))
        raise
    code = await codes.issue(session, settings=settings, user_id=user.id, purpose=PURPOSE_VERIFY)
    outbox.send_code(to=user.email, code=code, purpose=PURPOSE_VERIFY)
    return user


def _names(data: UserCreate) -> dict[str, str]:
    return {"email": data.email, "username": data.username}


async def verify(
    session: AsyncSession, *, settings: AuthSettings, outbox: Outbox, email: str, code: str, address: str
) -> None:
    """Mark the account verified when the code is right."""
    await _limit_address(session, settings=settings, address=address)
    user = await repository.get_by_email(session, email, for_update=True)
    pending = user if user is not None and not user.is_verified else None
    await codes.consume(
        session,
        settings=settings,
        outbox=outbox,
        email=email,
        user_id=pending.id if pending else None,
        owner_email=pending.email if pending else None,
        purpose=PURPOSE_VERIFY,
        code=code,
    )
    if pending is not None:
        pending.is_verified = True


async def resend_verification(
    session: AsyncSession, *, settings: AuthSettings, outbox: Outbox, email: str, address: str
) -> None:
    """A new code for an unverified account (the old one works until it expires); the same answer for any email."""
    await _limit_address(session, settings=settings, address=address)
    await _limit_sending(session, settings=settings, purpose=PURPOSE_VERIFY, email=email)
    user = await repository.get_by_email(session, email)
    if user is not None and not user.is_verified:
        code = await codes.issue(session, settings=settings, user_id=user.id, purpose=PURPOSE_VERIFY)
        outbox.send_code(to=user.email, code=code, purpose=PURPOSE_VERIFY)


async def forgot_password(
    session: AsyncSession, *, settings: AuthSettings, outbox: Outbox, email: str, address: str
) -> None:
    """Email a reset code if the account exists; the caller always gets the same answer."""
    await _limit_address(session, settings=settings, address=address)
    try:
        await _limit_sending(session, settings=settings, purpose=PURPOSE_RESET, email=email)
    except TooManyRequests:
        return
    user = await repository.get_by_email(session, email)
    if user is not None:
        code = await codes.issue(session, settings=settings, user_id=user.id, purpose=PURPOSE_RESET)
        outbox.send_code(to=user.email, code=code, purpose=PURPOSE_RESET)


async def reset_password(
    session: AsyncSession,
    *,
    settings: AuthSettings,
    outbox: Outbox,
    email: str,
    code: str,
    new_password: str,
    address: str,
) -> None:
    """Set a new password with a reset code; every refresh token of the user dies."""
    await _limit_address(session, settings=settings, address=address)
    hashed = await passwords.hash_password(new_password, rounds=settings.bcrypt_rounds)
    user = await repository.get_by_email(session, email, for_update=True)
    await codes.consume(
        session,
        settings=settings,
        outbox=outbox,
        email=email,
        user_id=user.id if user else None,
        owner_email=user.email if user else None,
        purpose=PURPOSE_RESET,
        code=code,
    )
    if user is None:  # consume refuses every code for an unknown email; never reached
        raise codes.InvalidCode("Invalid code")
    user.hashed_password = hashed
    user.is_verified = True  # the code proved the mailbox is theirs
    await tokens_service.revoke_all_sessions(session, user_id=user.id, reason="password_reset")


async def get_profile(session: AsyncSession, *, user_id: int) -> User:
    """The caller's own account."""
    user = await repository.get(session, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


def _username_from(email: str) -> str:
    local = re.sub(r"[^A-Za-z0-9_.-]", "", email.split("@", 1)[0])[:44]
    return local if len(local) >= 3 else f"admin-{local}"


async def create_verified(
    session: AsyncSession,
    *,
    settings: AuthSettings,
    email: str,
    password: str,
    role: str,
    username: str | None = None,
    name: str | None = None,
) -> tuple[User, bool]:
    """Make a verified account with `role` (operators and demo data, not the public API).

    An existing account with this email is verified, given the password, and promoted when
    `role` is admin (never demoted). Returns (user, created).
    """
    hashed = await passwords.hash_password(password, rounds=settings.bcrypt_rounds)
    user = await repository.get_by_email(session, email, for_update=True)
    if user is not None:
        user.is_verified, user.hashed_password = True, hashed
        if role == ROLE_ADMIN:
            user.role = ROLE_ADMIN
        await session.flush()
        return user, False
    username = username or _username_from(email)
    _raise_taken(await repository.find_taken(session, email=email, username=username), email=email, username=username)
    user = User(
        username=username,
        name=name or username,
        email=email,
        email_normalized=email_key(email),
        hashed_password=hashed,
        is_verified=True,
        role=role,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    await session.flush()
    return user, True
