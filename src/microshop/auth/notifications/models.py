"""The emails sent for order events: one row per event, claimed before sending, confirmed after."""

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Integer, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from microshop.auth.base import Base


class SentNotification(Base):
    """An event's email: `sent_at` is set once the SMTP server accepted it (null: being sent, or unknown)."""

    __tablename__ = "sent_notifications"

    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
