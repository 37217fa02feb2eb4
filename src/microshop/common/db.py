"""Database plumbing: one engine per service, bound to the service's own schema.

The request's session (`SessionDep`) is its unit of work: committed when the route returns, rolled
back when it raises; services flush, they never commit or roll back. A route that only reads takes
`ReadSessionDep` instead: its statements run without BEGIN/COMMIT (one statement sees one snapshot),
and a write through it is refused. The one escape hatch, for
the few writes that must stand although the request fails (a rate-limit hit, a revoked token
family, a rejected reservation): `own_transaction`, a short transaction of their own
(docs/architecture.md#one-unit-of-work-per-request).
"""

import contextlib
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import CursorResult, Executable, MetaData, Row, Select, Table, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_metadata(schema: str) -> MetaData:
    """The metadata of a service's declarative base: every table in `schema`, constraints named explicitly."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


# A row of a Core statement, whatever its columns (repositories that return table rows).
AnyRow = Row[*tuple[Any, ...]]


def table_of(model: type[DeclarativeBase]) -> Table:
    """A mapped class's table, typed for Core statements (insert ... on conflict, update ... returning)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


async def execute_count(session: AsyncSession, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it touched."""
    result = await session.execute(statement)
    assert isinstance(result, CursorResult)
    return result.rowcount


def async_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use the asyncpg driver for them."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain `postgresql://` DSN, the form asyncpg itself connects with."""
    return async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def create_engine(
    url: str, *, pool_size: int = 10, application_name: str = "microshop", pool_timeout: float = 30.0
) -> AsyncEngine:
    """An asyncpg engine: up to twice `pool_size` connections under load, each kept once opened.

    No overflow: SQLAlchemy closes an overflow connection when it is returned to a full pool, so
    every burst past `pool_size` paid for new backends (fork, authentication, every statement
    prepared again) — 5 % of the catalog page's CPU in Products under load, more in PostgreSQL.

    No `pool_pre_ping`: it costs a round trip on every request. After a database restart the
    first query on a stale connection fails (a 503 the client may retry) and SQLAlchemy drops
    every pooled connection of that generation, so the next request gets a fresh one.
    """
    return create_async_engine(
        async_url(url),
        pool_size=2 * pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        connect_args={"server_settings": {"application_name": application_name}, "timeout": 5},
    )


def lock_class(name: str) -> int:
    """A stable 31-bit number for `name`: the first key of its transaction-scoped advisory locks."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


async def lock_until_commit(session: AsyncSession, name: str, key: int = 0) -> None:
    """Wait for, then hold until the transaction ends, the advisory lock (`name`, `key`): writers that
    must take turns (one default row to move, a per-user cap) serialize on it."""
    await session.execute(select(func.pg_advisory_xact_lock(lock_class(name), key)))


class Leadership:
    """Whether this worker leads `name` among every worker and replica, for work one of them does for
    all (a periodic walk of a snapshot): a session-level advisory lock (key `lock_class(name)`) kept on
    a connection of its own. A worker that stops, dies or loses that connection lets the next one that
    asks take over.
    """

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine = engine
        self.key = lock_class(name)
        self._connection: AsyncConnection | None = None

    async def held(self) -> bool:
        """True if this worker holds the lock, taking it if it is free (the database is asked every time)."""
        if self._connection is not None:
            try:
                await self._connection.execute(select(1))
                return True
            except DBAPIError:  # the connection is gone, and the lock with it
                await self.release()
        connection = await self.engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")  # held outside any transaction
            taken = bool(await connection.scalar(select(func.pg_try_advisory_lock(self.key))))
        except BaseException:
            await connection.close()
            raise
        if not taken:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def release(self) -> None:
        """Let another worker lead: the lock's connection is closed, never returned to the pool with it."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(DBAPIError, OSError):
                await connection.invalidate()


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


COMMITTED = "microshop.committed"  # set in the request's scope once any of its transactions committed
_REQUEST_SCOPE = "microshop.request_scope"  # session.info key: the scope of the request the session serves
_OWN_SESSIONS = "microshop.own_sessions"  # session.info key: where `own_transaction` takes its connection


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit when the route returns, roll back when it raises."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        session.info[_REQUEST_SCOPE] = request.scope
        session.info[_OWN_SESSIONS] = request.app.state.own_sessionmaker
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only request's session: no transaction round trips, since its one statement needs none."""
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.read_sessionmaker
    async with sessionmaker() as session:
        yield session


class ReadOnlySession(RuntimeError):
    """A write through a read-only request's session: a bug in the route, never the client's doing."""


class _ReadOnlySession(Session):
    """The sync side of a read session; a flush with something to write raises (below)."""


@event.listens_for(_ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, *_: Any) -> None:
    raise ReadOnlySession("this request's session only reads: take SessionDep to write")


def make_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reads: AUTOCOMMIT (asyncpg then sends no BEGIN/COMMIT) on the same pool, flushes refused."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        expire_on_commit=False,
        sync_session_class=_ReadOnlySession,
    )


class ReadDatabase:
    """A read route's statements, each on an AUTOCOMMIT connection of the pool, held for it alone.

    For reads of plain columns (the catalog's): no session to open and close around the request and
    no generator dependency, ~0.1 ms of a catalog page. Only SELECTs: anything else is refused
    before any SQL is sent, as a read session refuses a flush.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        event.listen(self.engine.sync_engine, "before_execute", _refuse_all_but_selects)

    def connect(self) -> AsyncConnection:
        """A connection for one statement: `async with database.connect() as connection`."""
        return self.engine.connect()


def _refuse_all_but_selects(_connection: Any, statement: Any, *_: Any) -> None:
    if not isinstance(statement, Select):
        raise ReadOnlySession("a ReadDatabase only runs SELECTs: take SessionDep to write")


async def get_read_database(request: Request) -> ReadDatabase:
    """A read-only request's database (`ReadDatabase`)."""
    database: ReadDatabase = request.app.state.read_database
    return database


@asynccontextmanager
async def own_transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A short transaction beside `session`'s, committed when the block ends, whatever the request does.

    For a write that must stand although the request fails. The request's transaction must not
    hold a lock this one needs, or each waits for the other: take such locks in a savepoint and
    roll it back first. Its connection comes from a small pool of its own, so requests that each
    hold one connection and ask for a second cannot exhaust the main pool.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = session.info.get(_OWN_SESSIONS) or make_sessionmaker(
        _engine_of(session)
    )
    async with sessionmaker.begin() as own:
        yield own
    scope: dict[str, Any] | None = session.info.get(_REQUEST_SCOPE)
    if scope is not None:
        scope[COMMITTED] = True  # part of the request is committed: running it again would apply that twice


def _engine_of(session: AsyncSession) -> AsyncEngine:
    bind = session.bind
    assert isinstance(bind, AsyncEngine), "sessions are bound to an engine"
    return bind


# scope="function": commit before the response is sent, so a failed commit is an error response.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
ReadDatabaseDep = Annotated[ReadDatabase, Depends(get_read_database)]


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False)
