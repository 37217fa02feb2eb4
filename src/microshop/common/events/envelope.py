"""The one event envelope every service publishes (CloudEvents attribute names), as JSON."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    """One fact a service announces; `type` is also the NATS subject it is published on."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, description="Unique; the broker de-duplicates on it")
    type: str = Field(description="<service>.<aggregate>.<verb>, e.g. inventory.stock.changed")
    source: str = Field(description="The producing service")
    subject: str = Field(description="The aggregate the event is about, e.g. product:42; ordered per subject")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    data_version: int = Field(1, ge=1, description="Version of `data`'s shape for this type")
    data: dict[str, Any]

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, payload: bytes) -> "Event":
        return cls.model_validate_json(payload)
