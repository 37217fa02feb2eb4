"""Database plumbing: one engine per service, bound to the service's own schema.

The request's session (`SessionDep`) is its unit of work: committed when the route returns, rolled
back when it raises. The one exception: a write that must survive a failed request (a revoked
token family, say) raises an error that also inherits `CommitThenRaise`; the session dependency
then commits what the request wrote before the error is rendered.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_base(schema: str) -> type[DeclarativeBase]:
    """A declarative base whose tables all live in `schema`, with explicit constraint names."""

    class Base(DeclarativeBase):
        metadata = MetaData(schema=schema, naming_convention=NAMING_CONVENTION)

    return Base


def async_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the asyncpg driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain `postgresql://` DSN, the form asyncpg itself connects with."""
    return async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def create_engine(url: str, *, pool_size: int = 10, application_name: str = "microshop") -> AsyncEngine:
    """An asyncpg engine.

    No `pool_pre_ping`: it costs a round trip on every request. After a database restart the
    first query on a stale connection fails (a 503 the client may retry) and SQLAlchemy drops
    every pooled connection of that generation, so the next request gets a fresh one.
    """
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"server_settings": {"application_name": application_name}, "timeout": 5},
    )


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


COMMITTED = "microshop.committed"  # set in the request's scope once any of its transactions committed


class CommitThenRaise(Exception):
    """Mix into an error class whose request's writes must be committed although it answers an error."""


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit when the route returns, roll back when it raises."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:

        def note_commit(_: object) -> None:
            # A commit before the request ends (a rate-limit hit, say) makes replaying it unsafe.
            request.scope[COMMITTED] = True

        event.listen(session.sync_session, "after_commit", note_commit)
        try:
            yield session
            await session.commit()
        except CommitThenRaise:
            await session.commit()
            raise
        except BaseException:
            await session.rollback()
            raise


# scope="function": commit before the response is sent, so a failed commit is an error response.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False)
