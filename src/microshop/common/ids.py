"""Ids: every row id is a PostgreSQL bigint, so every id a client sends is bounded in one place."""

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1
MAX_ID_DIGITS = len(str(MAX_ID))

# An id in a body, path or query parameter: pydantic refuses anything outside 1..MAX_ID with a 422.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def parse_id(text: str) -> int | None:
    """The id written in `text`, or None when it is not one (digits are counted before `int()`,
    which refuses more than 4,300 of them with a ValueError)."""
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > MAX_ID_DIGITS:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
