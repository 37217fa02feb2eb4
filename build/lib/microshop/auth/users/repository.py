"""Queries on the users table."""

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.users.models import User
from microshop.auth.validation import email_key


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, email: str, *, for_update: bool = False) -> User | None:
    """The account with this email, as normalized by email_key (its unique index)."""
    statement = select(User).where(User.email_normalized == email_key(email))
    if for_update:
        # NO KEY UPDATE: the id never changes, so inserts referencing the user (tokens) are not blocked.
        statement = statement.with_for_update(key_share=True)
    return (await session.execute(statement)).scalar_one_or_none()


async def find_taken(session: AsyncSession, *, email: str, username: str) -> list[User]:
    """Accounts that already use this email (normalized) or username (ignoring case)."""
    statement = select(User).where(
        or_(User.email_normalized == email_key(email), func.lower(User.username) == func.lower(username))
    )
    return list((await session.execute(statement)).scalars())


async def set_password(session: AsyncSession, *, user_id: int, hashed_password: str) -> None:
    await session.execute(update(User).where(User.id == user_id).values(hashed_password=hashed_password))
