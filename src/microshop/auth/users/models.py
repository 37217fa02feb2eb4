"""The users table."""

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from microshop.auth.base import Base
from microshop.common.security import ROLE_ADMIN, ROLE_USER


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ('{ROLE_USER}', '{ROLE_ADMIN}')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    # email_key(email): what makes an address unique and finds its account.
    email_normalized: Mapped[str] = mapped_column(Text)
    hashed_password: Mapped[str] = mapped_column(String(255))
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    role: Mapped[str] = mapped_column(String(20), default=ROLE_USER, server_default=ROLE_USER)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Emails are unique as normalized in Python; usernames (ASCII) ignoring case; lookups use the same.
Index("uq_users_email_normalized", User.email_normalized, unique=True)
Index("uq_users_username_lower", func.lower(User.username), unique=True)
