"""`ReadSessionDep`'s sessions and `ReadDatabaseDep`'s connections: statements outside a transaction block, and
no way to write through them."""

import pytest
from sqlalchemy import BigInteger, MetaData, insert, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from microshop.common.db import ReadDatabase, ReadOnlySession, create_engine, make_read_sessionmaker


class Base(DeclarativeBase):
    metadata = MetaData()


class Note(Base):
    __tablename__ = "read_session_notes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


async def test_a_read_session_runs_its_statements_outside_a_transaction_block(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with make_read_sessionmaker(engine)() as session:
            # now() is the transaction's start: within one block it never moves; outside, each statement is its own.
            first = await session.scalar(text("SELECT now()"))
            await session.scalar(text("SELECT pg_sleep(0.01)"))
            second = await session.scalar(text("SELECT now()"))
            assert first is not None and second is not None and second > first
    finally:
        await engine.dispose()


async def test_a_write_through_a_read_session_is_refused_before_any_sql(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with make_read_sessionmaker(engine)() as session:
            session.add(Note(id=1))
            with pytest.raises(ReadOnlySession):
                await session.flush()
    finally:
        await engine.dispose()


async def test_a_read_database_runs_selects_outside_a_transaction_and_refuses_the_rest(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        database = ReadDatabase(engine)
        async with database.connect() as connection:
            assert await connection.scalar(select(text("1"))) == 1
            raw = await connection.get_raw_connection()
            assert not raw.driver_connection.is_in_transaction()  # type: ignore[union-attr]  # no BEGIN was sent
            with pytest.raises(ReadOnlySession):
                await connection.execute(insert(Note).values(id=2))
        async with engine.connect() as connection:  # the engine itself still writes
            await connection.execute(insert(Note).values(id=3))
            await connection.commit()
            assert list(await connection.scalars(select(Note.id))) == [3]
    finally:
        await engine.dispose()
