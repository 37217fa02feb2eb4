"""Login, refresh-token rotation with reuse detection, logout, and the client-credentials grant."""

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth import passwords
from microshop.auth.config import AuthSettings, client_secret_hash
from microshop.auth.ratelimit import service as ratelimit
from microshop.auth.tokens import jwt, repository
from microshop.auth.tokens.keys import SigningKeys
from microshop.auth.tokens.schemas import ServiceToken, TokenPair
from microshop.auth.users import repository as users_repository
from microshop.auth.users.models import User
from microshop.auth.validation import email_key
from microshop.common.db import own_transaction
from microshop.common.errors import Forbidden, Unauthorized
from microshop.common.security import ROLE_SERVICE


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"


class RefreshTokenReused(InvalidRefreshToken):
    """A rotated token came back: its family is revoked."""


class InvalidClient(Unauthorized):
    code = "invalid_client"

    def __init__(self, message: str = "Unknown client or wrong secret") -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Basic realm="microshop-auth"'})


class NotVerified(Forbidden):
    code = "account_not_verified"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_pair(
    session: AsyncSession, *, settings: AuthSettings, keys: SigningKeys, user: User, family_id: uuid.UUID | None = None
) -> TokenPair:
    """An access token and a new refresh token (in a new family at login, the same one on refresh)."""
    lifetime = timedelta(minutes=settings.access_token_minutes)
    access = jwt.mint(keys, settings, subject=user.email, role=user.role, user_id=user.id, lifetime=lifetime)
    refresh = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    if family_id is None:
        family_id = await repository.add_family(session, user_id=user.id, now=now)
    await repository.add(
        session,
        user_id=user.id,
        family_id=family_id,
        token_hash=_hash_token(refresh),
        now=now,
        expires_at=now + timedelta(days=settings.refresh_token_days),
    )
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=int(lifetime.total_seconds()))


TOO_MANY_LOGINS = "Too many login attempts: try again later"


def _failure_keys(*, email: str, address: str) -> tuple[str, str]:
    account = email_key(email)
    return f"login-failed:account:{account}", f"login-failed:pair:{address} {account}"


async def _refuse_after_failures(session: AsyncSession, *, settings: AuthSettings, email: str, address: str) -> None:
    """Wrong passwords are limited per (account, address); past the account-wide cap, only addresses
    that have themselves failed on this account are refused, so strangers cannot lock the owner out."""
    account, pair = _failure_keys(email=email, address=address)
    counts = await ratelimit.current(session, keys=[account, pair], window_seconds=settings.login_rate_window_seconds)
    pair_failures, pair_started = counts.get(pair, (0, None))
    account_failures, account_started = counts.get(account, (0, None))
    window = settings.login_rate_window_seconds
    if pair_started and pair_failures >= settings.login_failures_per_account_address:
        raise ratelimit.refuse(pair_started, window_seconds=window, message=TOO_MANY_LOGINS)
    if pair_failures and account_started and account_failures >= settings.login_rate_limit_per_account:
        raise ratelimit.refuse(account_started, window_seconds=window, message=TOO_MANY_LOGINS)


async def login(
    session: AsyncSession, *, settings: AuthSettings, keys: SigningKeys, email: str, password: str, address: str
) -> TokenPair:
    """Check the password (same answer and cost for unknown accounts); unverified accounts get 403."""
    user = await users_repository.get_by_email(session, email)
    await ratelimit.hit(
        session,
        limits={f"login:address:{address}": settings.login_rate_limit_per_address},
        window_seconds=settings.login_rate_window_seconds,
        message=TOO_MANY_LOGINS,
    )
    await _refuse_after_failures(session, settings=settings, email=email, address=address)
    hashed = user.hashed_password if user else None
    if not await passwords.verify_password(password, hashed, rounds=settings.bcrypt_rounds) or user is None:
        failures = _failure_keys(email=email, address=address)
        await ratelimit.count(session, keys=list(failures), window_seconds=settings.login_rate_window_seconds)
        raise InvalidCredentials("Incorrect email or password")
    if not user.is_verified:
        raise NotVerified("Verify your account first: enter the 6-digit code we emailed you (POST /verify)")
    if passwords.needs_rehash(user.hashed_password, rounds=settings.bcrypt_rounds):
        rehashed = await passwords.hash_password(password, rounds=settings.bcrypt_rounds)
        await users_repository.set_password(session, user_id=user.id, hashed_password=rehashed)
    return await issue_pair(session, settings=settings, keys=keys, user=user)


async def refresh(session: AsyncSession, *, settings: AuthSettings, keys: SigningKeys, refresh_token: str) -> TokenPair:
    """Rotate: the presented token dies, a new one of the same family is issued; a reused one kills the family."""
    token_hash = _hash_token(refresh_token)
    family_id = await repository.family_of(session, token_hash)
    # Locked in a savepoint, so a reuse can let go of the family before revoking it on its own.
    locks = await session.begin_nested()
    family = await repository.lock_family(session, family_id) if family_id else None
    stored = await repository.get_for_update(session, token_hash) if family else None
    now = datetime.now(UTC)
    if family is None or family.revoked_at is not None or stored is None:
        raise InvalidRefreshToken("Invalid or expired refresh token: log in again")
    if family_id is not None and stored.rotated_at is not None:
        await locks.rollback()
        # In a transaction of its own: the revocation stands although this request answers 401. A
        # refresh of the family's newest token that slips in before it still gets one access token,
        # as it would have a moment earlier; its refresh token dies with the family.
        async with own_transaction(session) as revocation:
            if await repository.lock_family(revocation, family_id) is not None:
                await repository.revoke_families(revocation, [family_id], now=now, reason="reuse")
        raise RefreshTokenReused("Refresh token already used: every session it started is revoked, log in again")
    await locks.commit()
    if stored.revoked_at is not None or stored.expires_at <= now:
        raise InvalidRefreshToken("Invalid or expired refresh token: log in again")
    user = await users_repository.get(session, stored.user_id)
    if user is None:
        raise InvalidRefreshToken("Invalid or expired refresh token: log in again")
    await repository.mark_rotated(session, token_id=stored.id, now=now)
    return await issue_pair(session, settings=settings, keys=keys, user=user, family_id=family.id)


async def logout(session: AsyncSession, *, refresh_token: str) -> None:
    """Revoke the session this refresh token belongs to; unknown tokens are ignored."""
    family_id = await repository.family_of(session, _hash_token(refresh_token))
    if family_id is not None and await repository.lock_family(session, family_id) is not None:
        await repository.revoke_families(session, [family_id], now=datetime.now(UTC), reason="logout")


async def revoke_all_sessions(session: AsyncSession, *, user_id: int, reason: str) -> None:
    """Revoke every family of a user (the caller holds the user row, per the lock order)."""
    family_ids = await repository.lock_families_of_user(session, user_id)
    await repository.revoke_families(session, family_ids, now=datetime.now(UTC), reason=reason)


# Compared against when the client id is unknown, so unknown and known ids cost the same.
_NO_CLIENT = client_secret_hash(secrets.token_hex(32))


async def client_credentials(
    session: AsyncSession,
    *,
    settings: AuthSettings,
    keys: SigningKeys,
    client_id: str | None,
    client_secret: str | None,
    address: str,
) -> ServiceToken:
    """A short-lived `service` token for a configured client; limited per client id and address."""
    await ratelimit.hit(
        session,
        limits={
            f"token:client:{client_id or ''}:{address}": settings.token_rate_limit,
            f"token:address:{address}": settings.token_rate_limit,
        },
        window_seconds=settings.token_rate_window_seconds,
        message="Too many token requests; try again later",
    )
    expected = settings.service_clients.get(client_id or "")
    presented = client_secret_hash(client_secret or "")
    matches = hmac.compare_digest((expected or _NO_CLIENT).encode(), presented.encode())
    if client_id is None or client_secret is None or expected is None or not matches:
        raise InvalidClient()
    lifetime = timedelta(minutes=settings.service_token_minutes)
    token = jwt.mint(keys, settings, subject=client_id, role=ROLE_SERVICE, lifetime=lifetime)
    return ServiceToken(access_token=token, expires_in=int(lifetime.total_seconds()))
