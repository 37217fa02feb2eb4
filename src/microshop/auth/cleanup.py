"""A background sweep of dead rows: ended rate-limit windows, expired codes and refresh tokens, old email claims.

Safe with many replicas: each sweep is a few idempotent DELETEs.
"""

from datetime import UTC, datetime, timedelta

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.auth.codes import repository as codes_repository
from microshop.auth.config import AuthSettings
from microshop.auth.notifications import repository as notifications_repository
from microshop.auth.ratelimit import repository as ratelimit_repository
from microshop.auth.tokens import repository as tokens_repository
from microshop.common.background import periodic

log = structlog.get_logger(__name__)


async def sweep(sessionmaker: async_sessionmaker[AsyncSession], *, settings: AuthSettings) -> dict[str, int]:
    """Delete what can no longer matter; returns the rows deleted per table."""
    now = datetime.now(UTC)
    longest_window = max(settings.login_rate_window_seconds, settings.resend_interval_seconds)
    async with sessionmaker() as session, session.begin():
        return {
            "rate_limit_counters": await ratelimit_repository.delete_expired(
                session, before=now - timedelta(seconds=longest_window)
            ),
            "one_time_codes": await codes_repository.delete_expired(session, before=now - timedelta(days=1)),
            "refresh_tokens": await tokens_repository.delete_expired(session, before=now - timedelta(days=1)),
            # Kept as long as the stream keeps the events they guard, so a late redelivery still finds them.
            "sent_notifications": await notifications_repository.delete_older_than(
                session, before=now - timedelta(seconds=settings.events_max_age_seconds, days=1)
            ),
        }


async def _sweep_once(app: FastAPI) -> None:
    deleted = await sweep(app.state.sessionmaker, settings=app.state.settings)
    log.info("cleanup", **deleted)


# The sweep every CLEANUP_INTERVAL_SECONDS, in each worker.
cleanup_hook = periodic("auth-cleanup", _sweep_once, interval=lambda app: app.state.settings.cleanup_interval_seconds)
