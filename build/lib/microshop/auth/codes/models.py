"""One-time codes (account verification, password reset), stored hashed."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from microshop.auth.base import Base

PURPOSE_VERIFY, PURPOSE_RESET = "verify", "reset"


class OneTimeCode(Base):
    """One row per user and purpose: the code sent last, and the one sent before it, which stays
    valid until it expires (so asking for a code again voids nobody's code); one try counter for both."""

    __tablename__ = "one_time_codes"
    __table_args__ = (
        UniqueConstraint("user_id", "purpose", name="uq_one_time_codes_user_id_purpose"),
        CheckConstraint("purpose IN ('verify', 'reset')", name="purpose"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    previous_code_hash: Mapped[str | None] = mapped_column(String(128))
    previous_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
